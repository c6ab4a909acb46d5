"""Safe YAML loading that remembers the file and line of every value.

Entry point: :func:`load_located`. It composes the YAML node graph with
PyYAML's safe machinery and converts it to plain Python data itself, so that

* only the standard safe tags are accepted (``!!python/object`` and friends
  are reported, never constructed);
* duplicate mapping keys are errors instead of silently keeping the last one;
* every value keeps the 1-based line it was written on, for compiler-style
  error messages.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pipeline.errors import Problem, SourceLocation, ValidationFailed

KeyPath = tuple[str | int, ...]

_SAFE_SCALAR_TAGS = {
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:timestamp",
}
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"
_MAX_NODES = 200_000
# Scripts nest a handful of levels; PyYAML composes nodes recursively (a RecursionError at a few
# hundred levels, and libyaml's composer overflows the C stack at about 100,000).
MAX_DEPTH = 64


def format_key_path(path: KeyPath) -> str:
    """``("segments", 2, "template")`` → ``segments[2].template``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


@dataclass
class LocatedDocument:
    """Plain data loaded from one YAML file plus the line of each value and key."""

    path: str
    data: Any
    value_lines: dict[KeyPath, int] = field(default_factory=dict)
    key_lines: dict[KeyPath, int] = field(default_factory=dict)

    def line_of(self, path: KeyPath) -> int:
        """Line of the value at ``path``, or of its closest ancestor that has one."""
        while path:
            if path in self.value_lines:
                return self.value_lines[path]
            path = path[:-1]
        return self.value_lines.get((), 1)

    def at(self, path: KeyPath) -> SourceLocation:
        """Where the value at ``path`` is written."""
        return SourceLocation(self.path, self.line_of(path), format_key_path(path) or None)

    def at_key(self, path: KeyPath) -> SourceLocation:
        """Where the key ending ``path`` is written (for unknown-key messages)."""
        line = self.key_lines.get(path) or self.line_of(path)
        return SourceLocation(self.path, line, format_key_path(path) or None)

    def problem(self, path: KeyPath, message: str) -> Problem:
        """A problem located at the value of ``path``."""
        return Problem(self.at(path), message)


class _Converter:
    """Turns a composed node graph into plain data, recording lines and problems."""

    def __init__(self, document: LocatedDocument) -> None:
        self.document = document
        self.problems: list[Problem] = []
        self.constructor = SafeConstructor()
        self.visited = 0

    def convert(self, node: Node, path: KeyPath) -> Any:
        self.visited += 1
        if self.visited > _MAX_NODES:
            raise _TooLarge(node)
        self.document.value_lines[path] = node.start_mark.line + 1
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        if isinstance(node, SequenceNode):
            if node.tag != _SEQ_TAG:
                return self._bad_tag(node, path)
            return [self.convert(item, (*path, i)) for i, item in enumerate(node.value)]
        if isinstance(node, MappingNode):
            if node.tag != _MAP_TAG:
                return self._bad_tag(node, path)
            return self._mapping(node, path)
        return self._bad_tag(node, path)  # pragma: no cover - PyYAML has no other node kinds

    def _scalar(self, node: ScalarNode, path: KeyPath) -> Any:
        if node.tag not in _SAFE_SCALAR_TAGS:
            return self._bad_tag(node, path)
        try:
            return self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError) as exc:
            self._add(path, f"cannot read value {node.value!r}: {exc}")
            return None

    def _mapping(self, node: MappingNode, path: KeyPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self._add(path, "YAML merge keys ('<<') are not supported; write the keys out")
                continue
            if not isinstance(key_node, ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
                self.document.value_lines[path] = key_node.start_mark.line + 1
                self._add(path, f"keys must be plain text, got {key_node.value!r}")
                continue
            key = key_node.value
            child = (*path, key)
            if key in result:
                self.document.key_lines[child] = key_node.start_mark.line + 1
                self.problems.append(Problem(self.document.at_key(child), f"duplicate key '{key}'"))
                continue
            self.document.key_lines[child] = key_node.start_mark.line + 1
            result[key] = self.convert(value_node, child)
        return result

    def _bad_tag(self, node: Node, path: KeyPath) -> None:
        self._add(path, f"unsupported YAML tag '{node.tag}' (only plain data is allowed)")

    def _add(self, path: KeyPath, message: str) -> None:
        self.problems.append(self.document.problem(path, message))


class _TooLarge(Exception):
    def __init__(self, node: Node) -> None:
        self.node = node


def load_located(path: Path, display: str | None = None) -> LocatedDocument:
    """Load one YAML file safely; raise :class:`ValidationFailed` listing every problem."""
    shown = display or path.as_posix()
    return parse_located(read_text(path, shown), shown)


def read_text(path: Path, shown: str) -> str:
    """A YAML file's text (UTF-8); a file that cannot be read, or is not UTF-8, is a
    :class:`ValidationFailed` naming ``shown``."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed([Problem(SourceLocation(shown, 1), f"not UTF-8 text ({exc.reason})")]) from exc
    except OSError as exc:
        raise ValidationFailed([Problem(SourceLocation(shown), f"cannot read file: {exc.strerror}")]) from exc


def parse_located(text: str, shown: str) -> LocatedDocument:
    """Parse YAML text that claims to come from ``shown``."""
    document = LocatedDocument(shown, None)
    too_deep = _line_too_deep(text)
    if too_deep is not None:
        message = f"nested more than {MAX_DEPTH} levels deep"
        raise ValidationFailed([Problem(SourceLocation(shown, too_deep), message)])
    try:
        nodes = _compose_nodes(text)
    except yaml.MarkedYAMLError as exc:
        line, reason = _syntax_error_position(exc, text)
        raise ValidationFailed([Problem(SourceLocation(shown, line), f"YAML syntax error: {reason}")]) from exc
    except yaml.YAMLError as exc:
        raise ValidationFailed([Problem(SourceLocation(shown, 1), f"YAML error: {exc}")]) from exc
    if len(nodes) > 1:
        line = nodes[1].start_mark.line + 1
        raise ValidationFailed([Problem(SourceLocation(shown, line), "only one YAML document per file is allowed")])
    if not nodes:
        return document
    converter = _Converter(document)
    try:
        document.data = converter.convert(nodes[0], ())
    except _TooLarge as exc:
        line = exc.node.start_mark.line + 1
        raise ValidationFailed([Problem(SourceLocation(shown, line), "document expands to too many values")]) from None
    if converter.problems:
        raise ValidationFailed(converter.problems)
    return document


def _syntax_error_position(exc: yaml.MarkedYAMLError, text: str) -> tuple[int, str]:
    """The 1-based line to show and the reason; an error at the end of the file points
    at where the unfinished construct began."""
    mark = exc.problem_mark or exc.context_mark
    last_line = text.count("\n")
    if exc.context_mark is not None and (mark is None or mark.line >= last_line):
        mark = exc.context_mark
    reason = "; ".join(part for part in (exc.context, exc.problem) if part) or "invalid YAML"
    return (mark.line + 1 if mark else 1), reason


# libyaml's parser when PyYAML was built with it: the same nodes and marks, several times faster.
FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose_nodes(text: str) -> list[Node]:
    """Every document's node tree: parsed by libyaml; by PyYAML's own parser when it finds an
    error, because that parser's messages are the ones shown to people."""
    try:
        return list(_compose_all(text, FAST_LOADER))
    except yaml.YAMLError:
        return list(_compose_all(text, yaml.SafeLoader))


def _line_too_deep(text: str) -> int | None:
    """The 1-based line where collections first nest deeper than MAX_DEPTH, found from the
    parser's events (which keep their own stack, so any depth is safe); None when they do not
    (or when the text does not parse: the composer reports that)."""
    loader = FAST_LOADER(text)
    depth = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return int(event.start_mark.line) + 1 if event.start_mark is not None else 1
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()
    return None


def _compose_all(text: str, loader_class: type) -> Iterator[Node]:
    loader = loader_class(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                yield node
    finally:
        loader.dispose()
