"""Bad scripts, templates and station files: every problem reported at once, compiler-style.

Each fixture under ``tests/data/bad/<kind>/`` starts with ``# expect:`` lines
giving the exact error lines the command must print; the command exits 2.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import DATA

BAD = DATA / "bad"
FIXTURES = sorted(BAD.glob("*/*.yaml"))


def expected_lines(path: Path) -> list[str]:
    """The ``# expect:`` lines at the top of a fixture."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("# expect: "):
            break
        lines.append(line.removeprefix("# expect: "))
    return lines


def install_fixture(project: Path, fixture: Path) -> None:
    """Put a bad file where its kind belongs in the project."""
    kind = fixture.parent.name
    if kind == "episodes":
        shutil.copy(fixture, project / "scripts_src" / "episodes" / fixture.name)
    elif kind == "templates":
        shutil.copy(fixture, project / "scripts_src" / "templates" / fixture.name)
    else:
        shutil.copy(fixture, project / "scripts_src" / "station.yaml")


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_bad_input_reports_exact_lines(fixture: Path, mini_project: Path, cli) -> None:
    install_fixture(mini_project, fixture)
    expected = expected_lines(fixture)
    assert expected, f"{fixture} has no '# expect:' lines"
    result = cli("build", "--project", str(mini_project))
    assert result.code == 2
    printed = result.err.splitlines()
    for line in expected:
        assert line in printed
    assert "Traceback" not in result.err
    assert not (mini_project / "output").exists()


def test_python_tag_is_never_constructed(mini_project: Path, cli, tmp_path: Path) -> None:
    marker = Path("/tmp/pipeline-owned")
    marker.unlink(missing_ok=True)
    install_fixture(mini_project, BAD / "episodes" / "python_tag.yaml")
    assert cli("render", "python-tag", "--lang", "en", "--project", str(mini_project)).code == 2
    assert not marker.exists()


def test_every_problem_is_reported_in_one_run(mini_project: Path, cli) -> None:
    for name in ("unknown_template.yaml", "missing_field.yaml", "bad_values.yaml"):
        install_fixture(mini_project, BAD / "episodes" / name)
    result = cli("build", "--project", str(mini_project))
    assert result.code == 2
    for name in ("unknown_template.yaml", "missing_field.yaml", "bad_values.yaml"):
        for line in expected_lines(BAD / "episodes" / name):
            assert line in result.err.splitlines()


def test_unknown_episode_and_language_are_usage_errors(mini_project: Path, cli) -> None:
    result = cli("build", "nope", "--project", str(mini_project))
    assert result.code == 2
    assert result.err.strip() == "unknown episode nope (known: mini)"
    result = cli("build", "--lang", "fr", "--project", str(mini_project))
    assert result.code == 2
    assert result.err.strip() == "unknown language fr (station languages: ko, en)"


def test_not_a_project_folder(tmp_path: Path, cli) -> None:
    result = cli("build", "--project", str(tmp_path))
    assert result.code == 2
    assert "not a content folder" in result.err
