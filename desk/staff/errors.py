"""The one way a staff action says no: the name of the response that explains why."""


class ActionError(Exception):
    """A staff action that cannot be done as asked; `response` names the domain.yml text saying why."""

    def __init__(self, response: str, **params: object) -> None:
        super().__init__(response)
        self.response = response
        self.params = params


class NeedsRole(Exception):
    """The member's role is too low for what they asked; the attempt is refused and audited."""

    def __init__(self, role: str) -> None:
        super().__init__(role)
        self.role = role
