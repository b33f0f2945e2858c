"""YAML read through its node tree, so every value can be traced to the line it is written on."""

from dataclasses import dataclass

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

FieldPath = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlProblem(Exception):
    """Text that is not usable YAML; `line` is 1-based (None when YAML could not tell)."""

    line: int | None
    message: str


def load_with_lines(text: str) -> tuple[object, dict[FieldPath, int]]:
    """Parse YAML into plain Python values plus {field path: 1-based line of its key or item}."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise YamlProblem(mark.line + 1 if mark else None, _yaml_text(error)) from None
    except yaml.YAMLError as error:
        raise YamlProblem(None, str(error)) from None
    if root is None:
        return None, {}
    lines: dict[FieldPath, int] = {(): _line(root)}
    return _convert(root, (), lines), lines


def _convert(node: Node, path: FieldPath, lines: dict[FieldPath, int]) -> object:
    if isinstance(node, MappingNode):
        return _mapping(node, path, lines)
    if isinstance(node, SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            lines[path + (index,)] = _line(item)
            items.append(_convert(item, path + (index,), lines))
        return items
    return _scalar(node)


def _mapping(node: MappingNode, path: FieldPath, lines: dict[FieldPath, int]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, ScalarNode):
            raise YamlProblem(_line(key_node), "a key must be plain text")
        # The key's own text: YAML 1.1 would read keys like `no` or `on` as booleans.
        key = key_node.value
        if key in result:
            raise YamlProblem(_line(key_node), f'duplicate key "{key}"')
        lines[path + (key,)] = _line(key_node)
        result[key] = _convert(value_node, path + (key,), lines)
    return result


def _scalar(node: ScalarNode) -> object:
    """The scalar as YAML types it; its raw text when that fails (e.g. the date 2026-02-30),
    so the charter's validation can say what is wrong with it, on its line."""
    try:
        return SafeConstructor().construct_object(node, deep=True)
    except (ValueError, yaml.YAMLError):
        return node.value


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _yaml_text(error: yaml.MarkedYAMLError) -> str:
    parts = [error.context, error.problem]
    return "; ".join(part for part in parts if part) or "not valid YAML"
