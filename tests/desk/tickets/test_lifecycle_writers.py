"""desk/tickets/lifecycle.py is the only writer of a ticket's lifecycle columns: read every module and see.

A write is an assignment to `<something>.<column>` (alone, chained or in a tuple), setattr with the
column's name, a `Ticket(...)` with the column as a keyword, or `insert/update(Ticket)...values(...)`
naming it. Tests, migrations and bench/ (which seeds rows in bulk) are not read. Two columns share
their name with another table's (SAME_NAME_ELSEWHERE): assigning those is allowed on the receivers
named there, which hold the other table's rows.
"""

import ast
from pathlib import Path

import pytest

from charterdesk.schema import metadata
from desk.tickets.lifecycle import LIFECYCLE_COLUMNS

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("charterdesk", "bot", "scheduler", "sandbox", "conversation", "nlu", "desk", "infra")
OWNER = Path("desk/tickets/lifecycle.py")
NOT_READ = (Path("infra/migrations"),)
# column -> (the other table, receiver names that hold its rows)
SAME_NAME_ELSEWHERE = {
    "status": ("outbox", {"row"}),
    "answered_at": ("citizen_questions", {"question"}),
}


def writes(source: str) -> list[tuple[int, str, str]]:
    """(line, column, what) for every write of a lifecycle column in a module's source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        targets = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        while targets:
            target = targets.pop()
            if isinstance(target, (ast.Tuple, ast.List)):
                targets.extend(target.elts)
            elif isinstance(target, ast.Starred):
                targets.append(target.value)
            elif isinstance(target, ast.Attribute) and target.attr in LIFECYCLE_COLUMNS and not _elsewhere(target):
                found.append((node.lineno, target.attr, ast.unparse(target)))
        if isinstance(node, ast.Call):
            found += [(node.lineno, column, what) for column, what in _call_writes(node)]
    return sorted(found)


def _elsewhere(target: ast.Attribute) -> bool:
    _, receivers = SAME_NAME_ELSEWHERE.get(target.attr, (None, set()))
    return isinstance(target.value, ast.Name) and target.value.id in receivers


def _call_writes(call: ast.Call) -> list[tuple[str, str]]:
    func = call.func
    if isinstance(func, ast.Name) and func.id == "setattr" and len(call.args) >= 2:
        name = call.args[1]
        if isinstance(name, ast.Constant) and name.value in LIFECYCLE_COLUMNS:
            return [(name.value, f"setattr(..., {name.value!r})")]
    if isinstance(func, ast.Name) and func.id == "Ticket":
        return [(k.arg, f"Ticket({k.arg}=...)") for k in call.keywords if k.arg in LIFECYCLE_COLUMNS]
    if isinstance(func, ast.Attribute) and func.attr == "values" and _on_ticket_table(func.value):
        named = [k.arg for k in call.keywords]
        named += [key.value for arg in call.args if isinstance(arg, ast.Dict)
                  for key in arg.keys if isinstance(key, ast.Constant)]
        return [(name, f".values({name}=...) on Ticket") for name in named if name in LIFECYCLE_COLUMNS]
    return []


def _on_ticket_table(node: ast.expr) -> bool:
    """Whether a method chain starts at insert(Ticket) or update(Ticket)."""
    while True:
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in ("insert", "update"):
                return bool(node.args) and isinstance(node.args[0], ast.Name) and node.args[0].id == "Ticket"
            node = func
        elif isinstance(node, ast.Attribute):
            node = node.value
        else:
            return False


def modules() -> list[Path]:
    paths = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if relative != OWNER and not any(relative.is_relative_to(skip) for skip in NOT_READ):
                paths.append(relative)
    return paths


def test_no_module_but_lifecycle_writes_a_lifecycle_column():
    offenders = [
        f"{path}:{line}: {what}" for path in modules() for line, _, what in writes((ROOT / path).read_text())
    ]
    assert offenders == [], "write these through desk/tickets/lifecycle.py:\n" + "\n".join(offenders)


def test_the_lifecycle_columns_are_columns_of_tickets_and_the_shared_names_are_known():
    tickets = metadata.tables["tickets"]
    assert LIFECYCLE_COLUMNS <= set(tickets.c.keys())
    shared = {
        name: table.name for table in metadata.sorted_tables if table is not tickets
        for name in LIFECYCLE_COLUMNS & set(table.c.keys())
    }
    assert shared == {name: table for name, (table, _) in SAME_NAME_ELSEWHERE.items()}


def test_the_owner_does_write_them():
    assert {column for _, column, _ in writes((ROOT / OWNER).read_text())} == LIFECYCLE_COLUMNS


@pytest.mark.parametrize("source, found", [
    ("ticket.status = 'closed'", ["ticket.status"]),
    ("t.closed_at = t.answered_at = None", ["t.answered_at", "t.closed_at"]),
    ("ticket.status, ticket.closed_at = 'closed', now", ["ticket.closed_at", "ticket.status"]),
    ("self.ticket.due_at += delta", ["self.ticket.due_at"]),
    ("setattr(ticket, 'breached_at', None)", ["setattr(..., 'breached_at')"]),
    ("Ticket(category='inquiry', text='?', status='open')", ["Ticket(category=...)", "Ticket(status=...)"]),
    ("update(Ticket).where(Ticket.id == 1).values(remind_at=None)", [".values(remind_at=...) on Ticket"]),
    ("insert(Ticket).values({'due_at': now, 'text': '?'})", [".values(due_at=...) on Ticket"]),
    ("row.status = 'sent'\nquestion.answered_at = now", []),  # the outbox's and a question's own columns
    ("ticket.answered_at_text = ''\nticket.assigned_to = 1\nupdate(Staff).values(status='x')", []),
    ("row.answered_at = now", ["row.answered_at"]),  # `row` holds outbox rows, which have no answered_at
])
def test_the_reader_finds_every_kind_of_write(source, found):
    assert sorted(what for _, _, what in writes(source)) == sorted(found)
