"""Charter problems told the way an editor needs them: file, line, field, what is wrong."""

import types
import typing
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError

from desk.charter.fields import FieldProblem
from desk.charter.yaml_lines import FieldPath


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a charter file; line is 1-based, field is dotted ("staff[0].role")."""

    line: int | None
    field: str
    message: str

    def render(self, file: str) -> str:
        where = f"{file}:{self.line}" if self.line else file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class CharterError(Exception):
    """A charter file that cannot be used; str() names the file, line and field of each problem."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = sorted(problems, key=lambda problem: problem.line or 0)
        super().__init__("\n".join(problem.render(file) for problem in self.problems))


def problems_from(
    error: ValidationError, lines: dict[FieldPath, int], root: type[BaseModel]
) -> list[Problem]:
    """Translate pydantic's errors into Problems on the lines their fields were written on."""
    details = error.errors()
    # pydantic also reports a list as too short when its only item is invalid; say it once.
    failed = {tuple(detail["loc"]) for detail in details}
    details = [d for d in details if not (d["type"] == "too_short" and _has_child(tuple(d["loc"]), failed))]
    return [_problem(detail, lines, root) for detail in details]


def _has_child(loc: FieldPath, failed: set[FieldPath]) -> bool:
    return any(len(other) > len(loc) and other[: len(loc)] == loc for other in failed)


def _problem(detail: dict, lines: dict[FieldPath, int], root: type[BaseModel]) -> Problem:
    loc = tuple(detail["loc"])
    cause = detail.get("ctx", {}).get("error")
    if isinstance(cause, FieldProblem):
        loc += cause.at
    return Problem(_line(loc, lines), dotted(loc), _message(detail, loc, root))


def dotted(loc: FieldPath) -> str:
    """("staff", 0, "role") -> "staff[0].role"."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


def _line(loc: FieldPath, lines: dict[FieldPath, int]) -> int | None:
    """The line of the field, or of its nearest ancestor written in the file (missing keys)."""
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _message(detail: dict, loc: FieldPath, root: type[BaseModel]) -> str:
    kind, value, ctx = detail["type"], detail.get("input"), detail.get("ctx", {})
    if kind == "value_error":
        return str(ctx["error"])
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return _unknown_key(loc, root)
    if kind.endswith("too_short"):
        return (
            "must not be empty" if kind.startswith("string") else f"needs at least {ctx['min_length']} entry"
        )
    if value is None:
        return "has no value"
    if kind == "literal_error":
        return f'"{value}" is not allowed (expected {ctx["expected"].replace(chr(39), "")})'
    return _TYPE_MESSAGES.get(kind.split("_")[0], "{msg}").format(value=value, msg=detail["msg"])


_TYPE_MESSAGES = {
    "int": '"{value}" is not a whole number',
    "float": '"{value}" is not a number',
    "bool": '"{value}" is not true or false',
    "string": '"{value}" is not text',
    "dict": "expected a mapping (key: value lines), got {value!r}",
    "model": "expected a mapping (key: value lines), got {value!r}",
    "list": "expected a list, got {value!r}",
    "tuple": "expected a list, got {value!r}",
}


def _unknown_key(loc: FieldPath, root: type[BaseModel]) -> str:
    model = _model_at(loc[:-1], root)
    known = ", ".join(model.model_fields) if model else ""
    noun = "category" if loc[:-1] == ("clocks",) else "key"
    return f'unknown {noun} "{loc[-1]}"' + (f" (expected one of: {known})" if known else "")


def _model_at(loc: FieldPath, model: type[BaseModel]) -> type[BaseModel] | None:
    """The model class that validates the mapping at `loc`, found through field annotations."""
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        found = _model_in(field.annotation) if field else None
        if found is None:
            return None
        model = found
    return model


def _model_in(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (tuple, list, typing.Union, types.UnionType):
        for argument in typing.get_args(annotation):
            if found := _model_in(argument):
                return found
    return None
