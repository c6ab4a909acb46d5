"""The libyaml parser gives the same node trees, line marks included, as PyYAML's own."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.project import yamlsource
from tests.conftest import DATA, REPO

SOURCES = sorted([*(REPO / "scripts_src").rglob("*.yaml"), *(DATA / "mini").rglob("*.yaml")])


def shape(node: yaml.Node) -> object:
    """A node as comparable data: tag, value (recursively), line and column."""
    where = (node.start_mark.line, node.start_mark.column)
    if isinstance(node, yaml.MappingNode):
        return (node.tag, where, [(shape(key), shape(value)) for key, value in node.value])
    if isinstance(node, yaml.SequenceNode):
        return (node.tag, where, [shape(item) for item in node.value])
    return (node.tag, where, node.value, node.style or None)  # plain style: "" from libyaml, None from PyYAML


@pytest.mark.skipif(not hasattr(yaml, "CSafeLoader"), reason="PyYAML built without libyaml")
@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.name)
def test_both_parsers_agree(source: Path) -> None:
    text = source.read_text(encoding="utf-8")
    fast = list(yamlsource._compose_all(text, yaml.CSafeLoader))
    own = list(yamlsource._compose_all(text, yaml.SafeLoader))
    assert [shape(node) for node in fast] == [shape(node) for node in own]


def test_a_syntax_error_keeps_pyyaml_s_wording() -> None:
    with pytest.raises(yamlsource.ValidationFailed) as caught:
        yamlsource.parse_located("items: [one, two\n", "broken.yaml")
    assert str(caught.value) == (
        "broken.yaml:1: YAML syntax error: while parsing a flow sequence; expected ',' or ']', but got '<stream end>'"
    )
