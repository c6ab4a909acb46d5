"""The limiter's gain search: one loudness curve per signal, tries shared between ceilings, few runs."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from pipeline.audio import blocks, dsp
from pipeline.audio import level as audio
from pipeline.audio.gain_search import LoudnessCurve
from pipeline.project.station import AudioFilter, Profile
from tests.audio_fixtures import run, speak

RATE = 22050
PLAYER = Profile("player", "mp3", 32, RATE, 1, -16.0, -1.5, (AudioFilter("highpass", (("frequency", 70.0),)),))


@pytest.fixture(scope="module")
def timeline(tmp_path_factory: pytest.TempPathFactory) -> audio.Timeline:
    """Real espeak-ng speech at the working rate, quiet enough that a loud target needs the limiter."""
    folder = tmp_path_factory.mktemp("search")
    text = "Short waves carry the news after dark. A memory card holds a month of programmes."
    wav = speak(text, folder / "s.wav")
    pcm = run("ffmpeg", "-v", "error", "-i", str(wav), "-f", "s16le", "-ac", "1", "-ar", str(RATE), "-")
    return audio.Timeline.from_pcm(dsp.to_pcm(dsp.to_float(pcm) * np.float32(0.3)), RATE, ())


def limiter_runs(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The gains of every limiter run from now on."""
    gains: list[float] = []
    limited = blocks.limited

    def counted(*args: object, **kwargs: object) -> blocks.Limited:
        gains.append(float(args[3]))  # type: ignore[arg-type]
        return limited(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(blocks, "limited", counted)
    return gains


@pytest.mark.parametrize("shift", [0.4, 1.7, -2.5])
def test_the_loudness_a_limiter_reaches_depends_on_its_gain_over_its_ceiling(
    timeline: audio.Timeline, shift: float
) -> None:
    leveller = audio.Leveller(timeline, PLAYER)
    ceiling = leveller.ceiling
    leveller.envelope = blocks.envelope(leveller.filtered, RATE, floor=1e-4)
    first = blocks.limited(leveller.envelope, leveller.energies, RATE, 14.0, ceiling)
    moved = blocks.limited(leveller.envelope, leveller.energies, RATE, 14.0 + shift, ceiling + shift)
    assert moved.loudness - shift == pytest.approx(first.loudness, abs=1e-3)
    assert moved.true_peak - shift == pytest.approx(first.true_peak, abs=1e-3)


def test_a_search_meets_a_target_deep_in_the_limiter_in_few_runs(
    timeline: audio.Timeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    loud = replace(PLAYER, loudness_lufs=-16.0)
    gains = limiter_runs(monkeypatch)
    levelled = audio.Leveller(timeline, loud).render()
    assert abs(levelled.loudness.integrated - loud.loudness_lufs) <= audio.LOUDNESS_TOLERANCE + 0.01
    assert len(gains) <= 3  # a line through the last two tries took 11 (6 short under the usual ceiling, then the next)


def test_a_higher_ceiling_starts_from_the_tries_made_under_a_lower_one(
    timeline: audio.Timeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    leveller = audio.Leveller(timeline, replace(PLAYER, loudness_lufs=-16.0))
    leveller.gains()
    tries = len(leveller._loudness_curve(None).tries)
    gains = limiter_runs(monkeypatch)
    leveller.raise_ceiling(1.0)
    leveller.gains(gain_offset=0.3)
    assert len(gains) <= 2
    assert len(leveller._loudness_curve(None).tries) == tries + len(gains)


def steps(reach: np.ndarray, energies: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """Control steps whose peaks a limiter at 0 dB starts to limit at gain ``reach``."""
    return [(1.0 / reach.astype(np.float32), energies, 1.0)]


def test_without_a_step_to_limit_the_first_try_is_the_plain_gain() -> None:
    curve = LoudnessCurve(steps(np.full(100, 1000.0), np.full(100, 2.0)), unlimited=-32.0)
    assert curve.next_try(wanted=-20.0, plain=12.0, highest=36.0) == pytest.approx(12.0, abs=1e-6)  # -32 + 12


def test_the_next_try_lies_between_tries_that_bracket_the_target() -> None:
    rng = np.random.default_rng(7)
    curve = LoudnessCurve(steps(rng.uniform(1.0, 30.0, 500), rng.uniform(0.5, 1.5, 500)), unlimited=-20.0)
    curve.add(10.0, -12.0)
    curve.add(16.0, -9.0)
    assert 10.0 < curve.next_try(wanted=-10.0, plain=4.0, highest=28.0) < 16.0


def test_a_try_is_never_past_the_highest_gain_allowed() -> None:
    curve = LoudnessCurve(steps(np.full(100, 2.0), np.ones(100)), unlimited=-20.0)
    curve.add(20.0, -15.0)
    assert curve.next_try(wanted=0.0, plain=5.0, highest=20.0) == 20.0
