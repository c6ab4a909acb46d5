"""``pipeline say --entry FILE.po:LINE``: one catalog entry, spoken as the build speaks it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from pipeline.audio import mp3frames

CATALOG = "locales/ko/LC_MESSAGES/mini.po"


def line_of(project: Path, text: str) -> int:
    lines = (project / CATALOG).read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def rendered_lines(project: Path, cli) -> list[str]:
    result = cli("render", "mini", "--lang", "ko", "--project", str(project))
    assert result.code == 0, result.err
    return result.out.splitlines()


def test_an_entry_is_said_by_its_parts_voice_exactly_as_rendered(mini_project: Path, cli) -> None:
    rendered = rendered_lines(mini_project, cli)
    quote = line_of(mini_project, 'msgstr "외국 방송을')
    result = cli("say", "--project", str(mini_project), "--lang", "ko", "--entry", f"{CATALOG}:{quote}")
    assert result.code == 0, result.err
    assert result.out.splitlines() == ["[guest] 외국 방송을 찾은 뒤로 저는 매일 밤 들었습니다."]
    assert result.out.splitlines()[0] in rendered

    # A field spoken inside a template part: the whole part, as the build fills it.
    speaker = line_of(mini_project, 'msgctxt "radio-reach.speaker"')
    result = cli("say", "--project", str(mini_project), "--lang", "ko", "--entry", f"{CATALOG}:{speaker}")
    assert result.code == 0, result.err
    (said,) = result.out.splitlines()
    assert said.startswith("[host] ") and "한 전직 군인" in said
    assert said in rendered


def test_an_entry_is_shown_as_its_voice_is_given_it(mini_project: Path, cli) -> None:
    pronounced = cli("render", "mini", "--lang", "ko", "--pronounced", "--project", str(mini_project))
    assert pronounced.code == 0, pronounced.err
    quote = line_of(mini_project, 'msgstr "외국 방송을')
    options = ("--project", str(mini_project), "--lang", "ko", "--entry", f"{CATALOG}:{quote}", "--pronounced")
    result = cli("say", *options)
    assert result.code == 0, result.err
    (said,) = result.out.splitlines()
    assert said.startswith("[guest] ") and said in pronounced.out.splitlines()


def test_a_station_string_is_said_in_the_first_segment_that_speaks_it(mini_project: Path, cli) -> None:
    rendered = rendered_lines(mini_project, cli)
    station_po = "locales/ko/LC_MESSAGES/station.po"
    lines = (mini_project / station_po).read_text(encoding="utf-8").splitlines()
    sign_off = [n for n, line in enumerate(lines, 1) if line.startswith('msgctxt "sign_off.parts"')]
    said = []
    for line in sign_off:  # three parts share the template's context; each is its own entry
        result = cli("say", "--project", str(mini_project), "--lang", "ko", "--entry", f"{station_po}:{line}")
        assert result.code == 0, result.err
        said.append(result.out.splitlines())
    assert all(len(lines) == 1 and lines[0] in rendered for lines in said)
    assert len({lines[0] for lines in said}) == 3


def test_an_entry_is_spoken_levelled_like_a_segment(mini_project: Path, tmp_path: Path, cli) -> None:
    out = tmp_path / "line.mp3"
    quote = line_of(mini_project, 'msgstr "외국 방송을')
    result = cli(
        "say", "--project", str(mini_project), "--lang", "ko", "--entry", f"{CATALOG}:{quote}", "--out", str(out)
    )
    assert result.code == 0, result.err
    info = mp3frames.probe(out.read_bytes())
    assert (info.sample_rate, info.bitrate_kbps, info.channels) == (22050, 32, 1)
    measured = subprocess.run(
        ["ffmpeg", "-nostats", "-hide_banner", "-i", str(out), "-filter_complex", "ebur128", "-f", "null", "-"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stderr
    loudness = float(re.findall(r"I:\s+(-?[\d.]+) LUFS", measured)[-1])
    assert abs(loudness - -16.0) < 1.0  # the player profile's target, as a build levels it


def test_an_entry_the_build_would_leave_out_is_refused(mini_project: Path, cli) -> None:
    path = mini_project / CATALOG
    path.write_text(path.read_text(encoding="utf-8").replace('msgstr "한 전직 군인"', 'msgstr ""'), encoding="utf-8")
    speaker = line_of(mini_project, 'msgctxt "radio-reach.speaker"')
    result = cli("say", "--project", str(mini_project), "--lang", "ko", "--entry", f"{CATALOG}:{speaker}")
    assert result.code == 1
    assert result.err.strip() == (f"a build would not speak this entry: not translated in {CATALOG}:{speaker + 2}")


def test_entry_mistakes_are_one_line(mini_project: Path, cli) -> None:
    project = ("--project", str(mini_project))
    cases = [
        (("--entry", f"{CATALOG}:2"), f"{CATALOG}:2: the header here; give the line of a message"),
        (("--entry", "nope.po:3"), "--entry nope.po: no such catalog"),
        (("--entry", f"{CATALOG}"), f"--entry {CATALOG}: expected FILE.po:LINE"),
        (("--entry", f"{CATALOG}:9", "some text"), "give either --entry or the text to say, not both"),
    ]
    for options, expected in cases:
        result = cli("say", *project, "--lang", "ko", *options)
        assert result.code == 2, (options, result.err)
        assert result.err.startswith(expected), result.err
