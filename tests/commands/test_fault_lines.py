"""Faults a user or a machine causes: one line naming the file, a set exit status, nothing half-written.

File-system faults are real: a read-only bind mount and a full tmpfs, each in
a private mount namespace (``unshare -m``) so that nothing outlives the test.
Where this machine cannot mount (not root, no namespaces), those tests are
skipped with the reason.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.delivery import tagcheck

ESCAPE_QUOTE = 'msgstr "외국 방송을 찾은 뒤로 저는 매일 밤 들었습니다."'


@functools.cache
def mount_refusal() -> str | None:
    """Why this machine cannot give a test its own mounts (None when it can)."""
    try:
        probe = subprocess.run(
            ["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unshare is not available: {exc}"
    if probe.returncode != 0:
        return f"cannot mount in a private namespace (needs root): {probe.stderr.strip()}"
    return None


def in_namespace(mounts: str, project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``pipeline ARGS`` in ``project`` after the shell commands ``mounts``, in a private
    mount namespace (the mounts vanish with it)."""
    reason = mount_refusal()
    if reason:
        pytest.skip(reason)
    command = " ".join(shlex.quote(part) for part in (sys.executable, "-m", "pipeline", *args))
    script = f"{mounts} && cd {shlex.quote(str(project))} && {command}"
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, env=environment)


def read_only(folder: Path) -> str:
    quoted = shlex.quote(str(folder))
    return f"mkdir -p {quoted} && mount --bind {quoted} {quoted} && mount -o remount,bind,ro {quoted}"


def one_line(err: str) -> str:
    """The single line a failing command printed (asserting it is one, without a traceback)."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err, err
    assert len(lines) == 1, err
    return lines[0]


def partial_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob(".*.part")) if folder.exists() else []


def test_a_read_only_output_folder_is_one_line(mini_project: Path) -> None:
    result = in_namespace(read_only(mini_project / "output"), mini_project, "build", "--lang", "en")
    assert result.returncode == 1
    assert one_line(result.stderr).endswith(": Read-only file system (EROFS)")
    assert one_line(result.stderr).startswith("output/")


def test_a_read_only_project_still_renders_and_refuses_to_build_in_one_line(mini_project: Path, cli) -> None:
    assert cli("i18n", "compile", "--project", str(mini_project)).code == 0  # what a translator has done
    rendered = in_namespace(read_only(mini_project), mini_project, "render", "mini", "--lang", "ko")
    assert rendered.returncode == 0, rendered.stderr
    assert "열린창" in rendered.stdout or rendered.stdout.strip()
    built = in_namespace(read_only(mini_project), mini_project, "build", "--lang", "en")
    assert built.returncode == 1
    assert one_line(built.stderr).endswith(": Read-only file system (EROFS)")


@pytest.mark.parametrize("size", ["8k", "300k"])
def test_a_full_disk_is_reported_per_file_and_leaves_nothing_half_written(mini_project: Path, size: str) -> None:
    out = mini_project / "output"
    mount = f"mkdir -p {shlex.quote(str(out))} && mount -t tmpfs -o size={size} tmpfs {shlex.quote(str(out))}"
    build = f"{shlex.quote(sys.executable)} -m pipeline build --lang en"
    script = f"{mount} && cd {shlex.quote(str(mini_project))} && {build}; echo rc=$?; find output -name '.*.part'"
    reason = mount_refusal()
    if reason:
        pytest.skip(reason)
    result = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True)
    assert "Traceback" not in result.stderr, result.stderr
    assert "rc=1" in result.stdout
    assert ".part" not in result.stdout.split("rc=1", 1)[1]  # no temporary file is left on the full disk
    full = [line for line in (result.stdout + result.stderr).splitlines() if "No space left on device (ENOSPC)" in line]
    assert full, result.stdout + result.stderr
    assert all(line.count("ENOSPC") == 1 for line in full)


def test_ingest_refuses_a_file_as_out_folder_and_a_folder_as_report_file(tmp_path: Path, cli, project_root) -> None:
    document = tmp_path / "article.txt"
    document.write_text("Radio still matters.\n", encoding="utf-8")
    existing = tmp_path / "drafts.txt"
    existing.write_text("keep me\n", encoding="utf-8")
    result = cli("ingest", str(document), "--out", str(existing), "--project", str(project_root))
    assert (result.code, one_line(result.err)) == (2, f"--out {existing}: is a file, not a folder for drafts")
    assert existing.read_text(encoding="utf-8") == "keep me\n"
    result = cli("ingest", str(document), "--report-file", str(tmp_path), "--project", str(project_root))
    assert (result.code, one_line(result.err)) == (2, f"--report-file {tmp_path}: is a folder, not a file")


def test_ingest_never_reads_a_pipe(tmp_path: Path, project_root: Path) -> None:
    pipe = tmp_path / "article.txt"
    os.mkfifo(pipe)
    command = [sys.executable, "-m", "pipeline", "ingest", str(pipe), "--out", str(tmp_path / "drafts")]
    result = subprocess.run([*command, "--project", str(project_root)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert one_line(result.stderr) == f"{pipe}: not a regular file (a pipe, socket or device is never read)"


@pytest.mark.parametrize("kind", ["folder", "link", "pipe"])
def test_a_lock_path_that_is_not_a_file_is_refused_and_left_alone(
    mini_project: Path, tmp_path: Path, cli, kind
) -> None:
    lock = mini_project / ".cache" / "build.lock"
    lock.parent.mkdir(parents=True)
    precious = tmp_path / "precious.txt"
    precious.write_text("do not truncate\n", encoding="utf-8")
    {"folder": lock.mkdir, "link": lambda: lock.symlink_to(precious), "pipe": lambda: os.mkfifo(lock)}[kind]()
    result = cli("build", "--lang", "en", "--project", str(mini_project))
    assert result.code == 2
    what = {"folder": "a folder", "link": "a symbolic link", "pipe": "not a regular file"}[kind]
    assert one_line(result.err).startswith(f"{lock}: the build lock is {what}")
    assert precious.read_text(encoding="utf-8") == "do not truncate\n"
    assert not (mini_project / "output" / "mini").exists()


def test_source_date_epoch_out_of_range_is_one_line(mini_project: Path, cli, monkeypatch, tmp_path: Path) -> None:
    assert cli("build", "--lang", "en", "--project", str(mini_project)).code == 0
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "99999999999999")
    result = cli("bundle", "--card", "1GB", "--out", str(tmp_path / "card"), "--project", str(mini_project))
    assert result.code == 2
    assert "SOURCE_DATE_EPOCH='99999999999999' is out of range" in one_line(result.err)
    assert not (tmp_path / "card").exists()


def test_an_unknown_catalog_charset_fails_its_language_in_one_line(mini_project: Path, cli) -> None:
    catalog = mini_project / "locales" / "ko" / "LC_MESSAGES" / "mini.po"
    catalog.write_text(
        catalog.read_text(encoding="utf-8").replace("charset=UTF-8", "charset=X-NO-SUCH-9"), encoding="utf-8"
    )
    rendered = cli("render", "mini", "--lang", "ko", "--project", str(mini_project))
    expected = "locales/ko/LC_MESSAGES/mini.po:3: unknown charset 'X-NO-SUCH-9' in the Content-Type header"
    assert rendered.code == 1 and one_line(rendered.err).startswith(expected)
    built = cli("build", "--project", str(mini_project))
    assert built.code == 1
    assert f"mini [ko, player]: {expected}" in built.err and "Traceback" not in built.err
    assert (mini_project / "output" / "mini" / "en" / "mini.mp3").exists()


@pytest.mark.parametrize(
    ("planted", "named"),
    [("\\033[2J", "U+001B ESCAPE"), ("\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"), ("\\a", "U+0007 BELL")],
)
def test_a_translation_with_control_characters_is_never_built(mini_project: Path, cli, planted, named) -> None:
    catalog = mini_project / "locales" / "ko" / "LC_MESSAGES" / "mini.po"
    text = catalog.read_text(encoding="utf-8")
    catalog.write_text(text.replace(ESCAPE_QUOTE, ESCAPE_QUOTE[:-1] + planted + '"'), encoding="utf-8")
    line = text.splitlines().index(ESCAPE_QUOTE) + 1
    result = cli("build", "--lang", "ko", "--project", str(mini_project))
    assert result.code == 3  # a translation the build cannot use waits for its translator: exit 3
    expected = (
        f"scripts_src/episodes/mini.yaml:13: segments[1].quote: ko: translation in "
        f"locales/ko/LC_MESSAGES/mini.po:{line} cannot be used: holds control characters ({named})"
    )
    assert expected in result.err
    assert not (mini_project / "output" / "mini" / "ko").exists()


def test_verify_flags_control_characters_and_identifying_text_in_card_files(
    mini_project: Path, cli, monkeypatch
) -> None:
    assert cli("build", "--lang", "en", "--project", str(mini_project)).code == 0
    monkeypatch.setattr(tagcheck, "_local_names", lambda: (("user", "alice-maker"), ("host", "studio-laptop")))
    tagcheck._raw_patterns.cache_clear()
    folder = mini_project / "output" / "mini" / "en"
    with (folder / "transcript.txt").open("a", encoding="utf-8") as handle:
        handle.write("Saved from /home/alice-maker/notes on studio-laptop\n")
    lyrics = folder / "01-opening.lrc"
    lyrics.write_text(lyrics.read_text(encoding="utf-8").replace("]", "]\x1b[31m", 1), encoding="utf-8")
    (folder / "playlist.m3u8").write_text("#EXTM3U\n#EXTINF:-1,made by alice-maker\u202e\n01-opening.mp3\n")
    try:
        result = cli("verify", str(mini_project / "output"))
    finally:
        tagcheck._raw_patterns.cache_clear()
    assert result.code == 1
    findings = {line.removeprefix(f"{mini_project / 'output'}/") for line in result.out.splitlines()}
    for line in (
        "mini/en/transcript.txt: contains a file path",
        "mini/en/transcript.txt: contains this machine's user name",
        "mini/en/transcript.txt: contains this machine's host name",
        "mini/en/01-opening.lrc: holds control characters (U+001B ESCAPE)",
        "mini/en/playlist.m3u8: contains this machine's user name",
        "mini/en/playlist.m3u8: holds control characters (U+202E RIGHT-TO-LEFT OVERRIDE)",
    ):
        assert line in findings, result.out


def test_a_linked_folder_inside_the_output_is_replaced_not_written_through(
    mini_project: Path, tmp_path: Path, cli
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("not the build's\n", encoding="utf-8")
    (mini_project / "output").mkdir()
    (mini_project / "output" / "mini").symlink_to(elsewhere, target_is_directory=True)
    result = cli("build", "--lang", "en", "--project", str(mini_project))
    assert result.code == 0, result.err
    assert sorted(path.name for path in elsewhere.iterdir()) == ["keep.txt"]
    folder = mini_project / "output" / "mini"
    assert not folder.is_symlink() and (folder / "en" / "mini.mp3").is_file()
    assert "was a symbolic link inside the output folder; replaced by a folder" in result.err


@pytest.mark.parametrize(
    ("sentences", "reason"),
    [
        (60, "about \\d+ s of speech for a source of 4 s: far too long for a translation"),
        (1500, "41,999 characters long: the limit is 20,000"),
    ],
)
def test_a_translation_absurdly_long_for_its_source_is_refused_before_synthesis(
    mini_project: Path, cli, sentences: int, reason: str
) -> None:
    catalog = mini_project / "locales" / "ko" / "LC_MESSAGES" / "mini.po"
    text = catalog.read_text(encoding="utf-8")
    line = text.splitlines().index(ESCAPE_QUOTE) + 1
    padded = " ".join(["외국 방송을 찾은 뒤로 저는 매일 밤 들었습니다."] * sentences)
    catalog.write_text(text.replace(ESCAPE_QUOTE, f'msgstr "{padded}"'), encoding="utf-8")
    result = cli("build", "--lang", "ko", "--project", str(mini_project))
    assert result.code == 3  # a translation the build cannot use waits for its translator: exit 3
    prefix = (
        "scripts_src/episodes/mini.yaml:13: segments[1].quote: ko: translation in "
        f"locales/ko/LC_MESSAGES/mini.po:{line} cannot be used: "
    )
    assert re.search(re.escape(prefix) + reason, result.err), result.err
    assert not [
        p for p in (mini_project / ".cache").rglob("*") if p.suffix in (".flac", ".wav")
    ]  # refused before any synthesis
