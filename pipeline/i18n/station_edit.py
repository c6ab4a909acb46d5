"""Teaching ``scripts_src/station.yaml`` a new language, keeping every comment and space.

Entry point: :func:`add_language`. It returns the new text of the station
file with the language added to ``languages:``, a ``voices:`` entry for every
role and a ``speaking_rate:`` entry; everything else stays byte for byte.

Why not load and dump the YAML: a round trip through ruamel.yaml 0.19
re-indents block sequences and collapses aligned values (``host:  {...}``
becomes ``host: {...}``), and PyYAML drops comments. Instead the file is
composed into nodes (which carry exact positions) and the new lines are
spliced into the text, copying the layout of the entries already there: a
new voice block is the text of an existing language's block with the
language code and voice ids replaced. The result is validated with
:class:`pipeline.project.station.StationReader` before anyone writes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pipeline.errors import ConfigError, SourceLocation
from pipeline.project.station import StationReader, default_speaking_rate
from pipeline.project.yamlsource import parse_located


@dataclass(frozen=True)
class _Insertion:
    """Text that replaces ``[offset, end)`` of the original file (an insertion when empty)."""

    offset: int
    text: str
    end: int | None = None


def add_language(text: str, shown: str, lang: str, voice: str | None = None) -> str:
    """The station file's text with ``lang`` added; raises ConfigError when impossible."""
    root = _compose(text, shown)
    top = _mapping_items(root)
    for key in ("languages", "voices"):
        if key not in top:
            raise ConfigError(f"no '{key}:' section to add '{lang}' to", SourceLocation(shown, 1))
    languages = top["languages"][1]
    if not isinstance(languages, SequenceNode) or not languages.value:
        raise ConfigError("'languages' must be a non-empty list", _at(shown, languages))
    if lang in [item.value for item in languages.value if isinstance(item, ScalarNode)]:
        raise ConfigError(f"language '{lang}' is already listed", _at(shown, languages))
    insertions = [_language_item(text, languages, lang)]
    insertions.append(_voice_block(text, shown, top["voices"][1], lang, voice))
    if "speaking_rate" in top:
        insertions.append(_rate_entry(text, shown, top["speaking_rate"][1], lang))
    else:
        insertions.append(_Insertion(len(text), _rate_section(text, lang)))
    result = _apply(text, insertions)
    StationReader(parse_located(result, shown)).read()
    return result


def _compose(text: str, shown: str) -> MappingNode:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise ConfigError(f"YAML syntax error: {exc}", SourceLocation(shown, line)) from exc
    if not isinstance(node, MappingNode):
        raise ConfigError("the station file must be a mapping", SourceLocation(shown, 1))
    return node


def _mapping_items(node: MappingNode) -> dict[str, tuple[ScalarNode, Node]]:
    return {key.value: (key, value) for key, value in node.value if isinstance(key, ScalarNode)}


def _at(shown: str, node: Node) -> SourceLocation:
    return SourceLocation(shown, node.start_mark.line + 1)


def _line_end(text: str, offset: int) -> int:
    """Offset just after the newline ending the line that holds ``offset``."""
    end = text.find("\n", offset)
    return len(text) if end < 0 else end + 1


def _last_scalar_end(node: Node) -> int:
    """Where the last scalar or flow collection inside ``node`` ends (block ends are vague)."""
    if isinstance(node, ScalarNode) or getattr(node, "flow_style", False):
        return node.end_mark.index
    children = node.value if isinstance(node, SequenceNode) else [v for _, v in node.value]
    return _last_scalar_end(children[-1])


def _language_item(text: str, languages: SequenceNode, lang: str) -> _Insertion:
    last = languages.value[-1]
    if languages.flow_style:
        insertion = f", {lang}"
        # Keep a trailing comment in its column when there is room: ``[ko, en]   # ...``.
        after = re.match(r"(\s*\])( +)(?=#)", text[last.end_mark.index :])
        if after and len(after.group(2)) > len(insertion):
            kept = after.group(1) + after.group(2)[len(insertion) :]
            return _Insertion(last.end_mark.index, insertion + kept, last.end_mark.index + after.end())
        return _Insertion(last.end_mark.index, insertion)
    line_start = text.rfind("\n", 0, last.start_mark.index) + 1
    prefix = text[line_start : last.start_mark.index]
    return _Insertion(_line_end(text, last.end_mark.index), f"{prefix}{lang}\n")


def _voice_block(text: str, shown: str, voices: Node, lang: str, voice: str | None) -> _Insertion:
    if not isinstance(voices, MappingNode) or not voices.value:
        raise ConfigError("'voices' must map languages to roles", _at(shown, voices))
    model_key, model_value = voices.value[-1]
    if voices.flow_style or model_value.flow_style:
        raise ConfigError(
            "cannot add a language to a one-line 'voices:' mapping; write it as a block",
            _at(shown, voices),
        )
    start = text.rfind("\n", 0, model_key.start_mark.index) + 1
    end = _line_end(text, _last_scalar_end(model_value))
    replacements = [(model_key.start_mark.index, model_key.end_mark.index, lang)]
    for _, spec in model_value.value:
        replacements.extend(_voice_id_spans(spec, model_key.value, lang, voice))
    block = _replace_spans(text, start, end, replacements)
    return _Insertion(end, _drop_comments(block))


def _voice_id_spans(spec: Node, model_lang: str, lang: str, voice: str | None) -> list[tuple[int, int, str]]:
    """The voice id inside one role's spec, to become ``voice`` (or ``lang`` + variant)."""
    if not isinstance(spec, MappingNode):
        return []
    for key, value in spec.value:
        if key.value == "voice" and isinstance(value, ScalarNode):
            old = value.value
            variant = old[len(old.split("+")[0]) :] if "+" in old else ""
            new = f"{voice or lang}{variant}"
            return [(value.start_mark.index, value.end_mark.index, new)]
    return []


def _replace_spans(text: str, start: int, end: int, spans: list[tuple[int, int, str]]) -> str:
    pieces, cursor = [], start
    for span_start, span_end, new in sorted(spans):
        pieces.append(text[cursor:span_start])
        pieces.append(new)
        cursor = span_end
    pieces.append(text[cursor:end])
    return "".join(pieces)


def _drop_comments(block: str) -> str:
    """A copied block without the model's comment lines or trailing comments."""
    lines = []
    for line in block.splitlines(keepends=True):
        if line.strip().startswith("#"):
            continue
        lines.append(re.sub(r"\s+#[^'\"\n]*$", "", line.rstrip("\n")) + "\n")
    return "".join(lines)


def _rate_entry(text: str, shown: str, rates: Node, lang: str) -> _Insertion:
    unit, amount = _rate_value(lang)
    if isinstance(rates, MappingNode) and rates.value and not rates.flow_style:
        model_key, model_value = rates.value[-1]
        line_start = text.rfind("\n", 0, model_key.start_mark.index) + 1
        indent = text[line_start : model_key.start_mark.index]
        end = _line_end(text, _last_scalar_end(model_value))
        if model_value.flow_style:
            return _Insertion(end, f"{indent}{lang}: {{{unit}: {amount}}}\n")
        inner = " " * (model_value.start_mark.column if isinstance(model_value, MappingNode) else 2)
        return _Insertion(end, f"{indent}{lang}:\n{inner}{unit}: {amount}\n")
    raise ConfigError("'speaking_rate' must be a block mapping of languages", _at(shown, rates))


def _rate_section(text: str, lang: str) -> str:
    unit, amount = _rate_value(lang)
    lead = "" if text.endswith("\n") or not text else "\n"
    return f"{lead}\nspeaking_rate:\n  {lang}: {{{unit}: {amount}}}\n"


def _rate_value(lang: str) -> tuple[str, str]:
    rate = default_speaking_rate(lang)
    unit = "syllables_per_minute" if rate.unit == "syllables" else "words_per_minute"
    return unit, f"{rate.per_minute:g}"


def _apply(text: str, insertions: list[_Insertion]) -> str:
    result = text
    for insertion in sorted(insertions, key=lambda i: i.offset, reverse=True):
        end = insertion.offset if insertion.end is None else insertion.end
        result = result[: insertion.offset] + insertion.text + result[end:]
    return result
