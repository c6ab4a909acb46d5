"""The in-process signal processing and codec: checked against plain references and ffmpeg."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import butter, sosfilt, upfirdn

from pipeline.audio import blocks, dsp
from pipeline.audio import level as audio
from pipeline.audio.mp3frames import scrub_ancillary
from pipeline.errors import AudioError
from pipeline.project.station import AudioFilter, Profile
from tests.audio_fixtures import decode_pcm, run, speak

RATE = 22050
PLAYER = Profile("player", "mp3", 32, RATE, 1, -16.0, -1.5, (AudioFilter("highpass", (("frequency", 70.0),)),))


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    """A few seconds of real espeak-ng speech, resampled to the working rate, as floats."""
    folder = tmp_path_factory.mktemp("dsp")
    wav = speak("Radio waves cross the border at night. Memory cards travel in pockets.", folder / "s.wav")
    pcm = run("ffmpeg", "-v", "error", "-i", str(wav), "-f", "s16le", "-ac", "1", "-ar", str(RATE), "-")
    return dsp.to_float(pcm)


def reference_peaks(samples: np.ndarray) -> np.ndarray:
    """Every sample's 4× oversampled peak, by filtering the whole zero-stuffed signal."""
    upsampled = np.abs(upfirdn(dsp._interpolator(), samples.astype(np.float32), dsp.OVERSAMPLE))
    delay = dsp._INTERPOLATOR_DELAY
    between = upsampled[delay : delay + len(samples) * dsp.OVERSAMPLE].reshape(-1, dsp.OVERSAMPLE).max(axis=1)
    return np.maximum(np.abs(samples), between)


def test_true_peaks_without_floor_match_full_oversampling(speech: np.ndarray) -> None:
    short_last_step = speech[:-5]
    expected = dsp.control_max(reference_peaks(short_last_step))
    assert np.allclose(dsp.true_peaks(short_last_step), expected, atol=1e-6)


@pytest.mark.parametrize("floor_db", [-12.0, -6.0, -3.0])
def test_true_peaks_are_exact_wherever_they_reach_the_floor(speech: np.ndarray, floor_db: float) -> None:
    loud = speech / np.abs(speech).max() * np.float32(0.95)
    floor = 10 ** (floor_db / 20)
    reference = dsp.control_max(reference_peaks(loud))
    peaks = dsp.true_peaks(loud, floor)
    reaching = reference >= floor
    assert reaching.any()
    assert not reaching.all()
    assert np.allclose(peaks[reaching], reference[reaching], atol=1e-6)
    assert np.all(peaks <= reference + 1e-6)  # elsewhere never more than the truth
    assert peaks.max() == pytest.approx(reference.max(), abs=1e-6)  # the loudest peak is always found


def test_true_peaks_of_nothing_are_no_steps() -> None:
    empty = np.zeros(0, dtype=np.float32)
    assert dsp.true_peaks(empty).size == 0
    assert dsp.true_peaks(empty, floor=0.5).size == 0


def test_the_check_decodes_the_encoded_bytes_as_a_player_decodes_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In pieces from memory (libmpg123 fed the bytes; where it cannot be loaded, libsndfile
    reading a memfd, or a BytesIO where there is none): the whole file's samples."""
    rng = np.random.default_rng(5)
    noise = (rng.standard_normal(RATE * 3) * 0.2).astype(np.float32)
    encoded = audio._lame_encode(dsp.to_pcm(noise), PLAYER)
    (tmp_path / "segment.mp3").write_bytes(encoded)
    whole = audio._decode_mp3(tmp_path / "segment.mp3")
    assert audio.mpg123.available()  # Debian's libmpg123-0, which the Makefile installs
    in_pieces = np.concatenate(list(audio._decoded_blocks(encoded, PLAYER, RATE, 5000)))
    assert np.array_equal(in_pieces, whole)
    monkeypatch.setattr(audio.mpg123, "available", lambda: False)
    from_a_memfd = np.concatenate(list(audio._decoded_blocks(encoded, PLAYER, RATE, 5000)))
    assert np.array_equal(from_a_memfd, whole)
    monkeypatch.delattr(audio.os, "memfd_create", raising=False)
    through_python = np.concatenate(list(audio._decoded_blocks(encoded, PLAYER, RATE, 5000)))
    assert np.array_equal(through_python, whole)


def test_decoded_peaks_fall_on_the_levelled_audios_control_steps(tmp_path: Path) -> None:
    """The decoder's output starts late by the codec's delay: the step peaks are realigned."""
    first_step, steps = 700, 140
    tone = np.zeros(RATE * 2, dtype=np.float32)
    start = first_step * dsp.CONTROL_STEP
    burst = np.arange(steps * dsp.CONTROL_STEP)
    tone[start : start + burst.size] = 0.8 * np.sin(2 * np.pi * 1000 * burst / RATE)
    encoded = audio._lame_encode(dsp.to_pcm(tone), PLAYER)
    delay = round(audio.MP3_START_SAMPLES * RATE / PLAYER.sample_rate)
    _, stored = audio.measure_decoded(encoded, PLAYER, RATE, delay)
    peaks = stored.read(0, len(stored))
    loud = np.flatnonzero(peaks > 0.4)
    assert first_step - 2 <= loud[0] and loud[-1] <= first_step + steps + 2
    assert len(peaks) == pytest.approx(len(tone) // dsp.CONTROL_STEP, abs=40)


def test_an_extended_envelope_is_the_envelope_computed_at_the_lower_floor(
    speech: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    loud = speech / np.abs(speech).max() * np.float32(0.95)
    high, low = 10 ** (-3.0 / 20), 10 ** (-15.0 / 20)
    interpolated: list[int] = []
    points_between = dsp._points_between_samples
    monkeypatch.setattr(
        dsp,
        "_points_between_samples",
        lambda s, runs, loudest: interpolated.append(runs.size) or points_between(s, runs, loudest),
    )
    first = dsp.peak_envelope(loud, RATE, floor=high)
    extended = dsp.peak_envelope(loud, RATE, floor=low, extending=first)
    fresh = dsp.peak_envelope(loud, RATE, floor=low)
    assert np.array_equal(extended.peaks, fresh.peaks)
    assert np.array_equal(extended.held, fresh.held)
    assert extended.floor == low and extended.level == fresh.level
    assert 0 < interpolated[0] < interpolated[2]
    assert interpolated[0] + interpolated[1] == interpolated[2]  # the extension oversampled only the runs left out


def test_envelope_peaks_are_the_oversampled_peaks_of_each_control_step(speech: np.ndarray) -> None:
    loud = (speech / np.abs(speech).max() * np.float32(0.95))[:-5]  # a short last step too
    envelope = dsp.peak_envelope(loud, RATE)
    assert np.allclose(envelope.peaks, dsp.control_max(reference_peaks(loud)), atol=1e-6)


def test_overshoot_bound_holds_for_a_worst_case_pattern() -> None:
    matrix = dsp._phase_matrix()
    phase = int(np.abs(matrix).sum(axis=0).argmax())
    worst = np.sign(matrix[::-1, phase]).astype(np.float32)  # every sample pushing the same way
    samples = np.concatenate([np.zeros(20, np.float32), worst, np.zeros(20, np.float32)])
    assert reference_peaks(samples).max() == pytest.approx(dsp._overshoot_bound(), rel=1e-5)


def test_filters_keep_their_response_through_silence() -> None:
    samples = np.zeros(RATE * 2, dtype=np.float32)
    samples[:2000] = np.sin(np.arange(2000) / 3.0).astype(np.float32) * 0.5
    sos = butter(4, 7500, "lowpass", fs=RATE, output="sos")
    expected = sosfilt(sos, samples.astype(np.float64))
    assert np.abs(dsp.filter_sos(sos, samples, RATE) - expected).max() < 1e-6


def test_k_weighted_loudness_of_a_1khz_tone_is_its_level() -> None:
    # BS.1770: a 1 kHz sine at -20 dBFS peak reads -23.0 LKFS (the K-filter gain at 1 kHz is ~0.69 dB).
    tone = (0.1 * np.sin(2 * np.pi * 1000 * np.arange(RATE * 5) / RATE)).astype(np.float32)
    loudness = dsp.integrated_loudness(dsp.loudness_blocks(tone, RATE))
    assert loudness == pytest.approx(-23.0, abs=0.05)


def test_k_weighting_at_48_khz_has_the_coefficients_of_bs1770() -> None:
    (shelf_b, shelf_a), (highpass_b, highpass_a) = dsp.k_weighting(48000)
    assert np.allclose(shelf_b, [1.53512485958697, -2.69169618940638, 1.19839281085285])
    assert np.allclose(shelf_a, [1.0, -1.69065929318241, 0.73248077421585])
    assert np.allclose(highpass_b, [1.0, -2.0, 1.0])
    assert np.allclose(highpass_a, [1.0, -1.99004745483398, 0.99007225036621])


def test_meter_agrees_with_ffmpegs_ebur128_on_speech(speech: np.ndarray, tmp_path: Path) -> None:
    wav = tmp_path / "speech.wav"
    pcm = dsp.to_pcm(speech * np.float32(0.4))
    run("ffmpeg", "-v", "error", "-f", "s16le", "-ar", str(RATE), "-ac", "1", "-i", "-", str(wav), data=pcm)
    ours = dsp.integrated_loudness(dsp.loudness_blocks(dsp.to_float(pcm), RATE))
    assert ours == pytest.approx(audio.measure_file(wav).integrated, abs=0.06)  # ffmpeg prints one decimal


def test_gained_loudness_matches_measuring_the_gained_signal(speech: np.ndarray) -> None:
    weighted = dsp.k_weighted(speech, RATE)
    envelope = dsp.peak_envelope(speech, RATE)
    curve, _ = dsp.limiter_gain(envelope, 12.0, -3.0)
    gained = weighted * dsp.audio_rate_gain(curve, len(speech))
    exact = dsp.integrated_loudness(dsp.mean_square_blocks(gained, RATE))
    assert dsp.gained_loudness(dsp.step_energies(weighted), curve, RATE) == pytest.approx(exact, abs=0.02)


def test_levelling_reaches_the_target_even_when_the_limiter_works_hard(speech: np.ndarray) -> None:
    quiet = audio.Timeline.from_pcm(dsp.to_pcm(speech * np.float32(0.05)), RATE, ())
    leveller = audio.Leveller(quiet, PLAYER)
    levelled = leveller.render()
    measured = dsp.integrated_loudness(dsp.loudness_blocks(dsp.to_float(levelled.pcm), RATE))
    assert measured == pytest.approx(PLAYER.loudness_lufs, abs=audio.LOUDNESS_TOLERANCE + 0.02)
    assert levelled.loudness.true_peak <= leveller.ceiling + 0.01


def test_the_usual_limiter_ceiling_is_kept_when_the_target_is_within_reach(speech: np.ndarray) -> None:
    leveller = audio.Leveller(audio.Timeline.from_pcm(dsp.to_pcm(speech * np.float32(0.05)), RATE, ()), PLAYER)
    leveller.render()
    assert leveller.ceiling == PLAYER.true_peak_dbtp - audio.LIMITER_MARGINS_DB[0]


def test_audio_too_dense_for_the_usual_ceiling_gets_the_highest_allowed_one(speech: np.ndarray) -> None:
    usual = PLAYER.true_peak_dbtp - audio.LIMITER_MARGINS_DB[0]
    highest = PLAYER.true_peak_dbtp - audio.LIMITER_MARGINS_DB[-1]
    loud = replace(PLAYER, loudness_lufs=-14.0)  # out of reach of this speech under either ceiling
    timeline = audio.Timeline.from_pcm(dsp.to_pcm(speech * np.float32(0.05)), RATE, ())
    leveller = audio.Leveller(timeline, loud)
    under_usual = audio.Leveller(timeline, replace(loud, true_peak_dbtp=usual + audio.LIMITER_MARGINS_DB[-1]))
    levelled = leveller.render()
    assert leveller.ceiling == highest
    assert levelled.loudness.true_peak <= highest + 0.01
    assert levelled.loudness.integrated > under_usual.render().loudness.integrated + 0.5


def test_audio_out_of_reach_under_one_ceiling_takes_the_next_not_the_highest(
    speech: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    timeline = audio.Timeline.from_pcm(dsp.to_pcm(speech * np.float32(0.05)), RATE, ())
    usual, middle, highest = audio.LIMITER_MARGINS_DB

    def loudest_under(margin: float) -> float:
        monkeypatch.setattr(audio, "LIMITER_MARGINS_DB", (margin,))
        return audio.Leveller(timeline, replace(PLAYER, loudness_lufs=0.0)).render().loudness.integrated

    between = (loudest_under(usual) + loudest_under(middle)) / 2
    monkeypatch.setattr(audio, "LIMITER_MARGINS_DB", (usual, middle, highest))
    leveller = audio.Leveller(timeline, replace(PLAYER, loudness_lufs=round(between, 2)))
    levelled = leveller.render()
    assert leveller.ceiling == PLAYER.true_peak_dbtp - middle
    assert levelled.loudness.integrated == pytest.approx(between, abs=audio.LOUDNESS_TOLERANCE + 0.02)


@pytest.mark.parametrize(
    ("tried", "out_of_reach"),
    [
        ([(10.0, -20.0)], False),  # one try tells nothing yet
        ([(10.0, -20.0), (14.0, -19.0)], False),  # the line reaches -16 at 26 dB, under 30
        ([(10.0, -20.0), (14.0, -19.5)], True),  # the line reaches -16 only at 42 dB
        ([(10.0, -20.0), (14.0, -20.5)], True),  # more gain made it quieter
        ([(10.0, -20.0), (14.0, -15.0)], False),  # already past the target
    ],
)
def test_a_search_gives_up_when_the_line_through_its_tries_stays_short(
    tried: list[tuple[float, float]], out_of_reach: bool
) -> None:
    assert audio._out_of_reach(tried, -16.0, highest_gain=30.0) is out_of_reach


def test_lame_in_process_writes_the_frames_ffmpeg_writes(speech: np.ndarray, tmp_path: Path) -> None:
    pcm = dsp.to_pcm(speech * np.float32(0.5))
    ours = audio._lame_encode(pcm, PLAYER)
    ffmpeg = run(
        "ffmpeg", "-v", "error", "-f", "s16le", "-ar", str(RATE), "-ac", "1", "-i", "-",
        *audio.encoder_arguments(PLAYER), "-", data=pcm,
    )  # fmt: skip
    assert scrub_ancillary(ours) == scrub_ancillary(ffmpeg)


def test_in_process_decoding_gives_ffmpegs_samples(speech: np.ndarray, tmp_path: Path) -> None:
    encoded = tmp_path / "s.mp3"
    encoded.write_bytes(audio._lame_encode(dsp.to_pcm(speech * np.float32(0.5)), PLAYER))
    ours = audio._decode_mp3(encoded)
    theirs = np.frombuffer(decode_pcm(encoded.read_bytes(), "f32le")[0], "<f4")
    assert ours.dtype == np.float32
    assert len(ours) == len(theirs)
    assert np.abs(ours - theirs).max() < 1e-5


def test_in_process_decoding_keeps_peaks_over_full_scale(tmp_path: Path) -> None:
    """A file whose peaks the codec pushed past full scale is measured as it is, not clipped."""
    tone = np.sin(2 * np.pi * 1000 * np.arange(RATE) / RATE).astype(np.float32)
    encoded = tmp_path / "loud.mp3"
    encoded.write_bytes(audio._lame_encode(dsp.to_pcm(tone * np.float32(0.999)), PLAYER))
    assert audio._decode_mp3(encoded).max() > 1.0


def test_a_file_that_is_not_mp3_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp3"
    broken.write_bytes(b"not audio at all" * 10)
    with pytest.raises(AudioError, match=r"cannot decode broken\.mp3"):
        audio._decode_mp3(broken)


def test_the_radio_band_limit_is_steep_enough_for_am() -> None:
    from pipeline.project.station import load_station
    from tests.conftest import REPO

    radio = load_station(REPO).profiles["radio"]
    band = [f for f in radio.filters if f.kind in ("highpass", "lowpass")]
    rate = audio.WORKING_RATE
    seconds = np.arange(rate * 2) / rate

    def response_db(frequency: float) -> float:
        tone = np.sin(2 * np.pi * frequency * seconds).astype(np.float32)
        out = dsp.apply_filters(tone, rate, band)[rate:]  # past the filter's settling
        return float(20 * np.log10(np.sqrt(np.mean(out.astype(np.float64) ** 2)) / np.sqrt(0.5)))

    assert response_db(1000) > -0.6
    assert response_db(4500) > -1.0
    assert response_db(6000) < -40
    assert response_db(8000) < -60
    assert response_db(10000) < -60


def test_headroom_left_by_the_codec_raises_the_ceiling_up_to_the_limit_only(speech: np.ndarray) -> None:
    loud = replace(PLAYER, loudness_lufs=-12.0)  # out of reach under the usual ceilings
    timeline = audio.Timeline.from_pcm(dsp.to_pcm(speech * np.float32(0.05)), RATE, ())
    leveller = audio.Leveller(timeline, loud)
    before = leveller.render().loudness.integrated
    leveller.raise_ceiling(1.0)
    assert leveller.ceiling == pytest.approx(loud.true_peak_dbtp - audio.LIMITER_MARGINS_DB[-1] + 1.0)
    assert leveller.render().loudness.integrated > before + 0.5
    leveller.raise_ceiling(5.0)
    assert leveller.ceiling == pytest.approx(loud.true_peak_dbtp - audio.PEAK_SAFETY_DB)
    limited = replace(loud, filters=(AudioFilter("limiter", (("ceiling_db", -3.0),)),))
    capped = audio.Leveller(timeline, limited)
    capped.raise_ceiling(5.0)
    assert capped.ceiling == -3.0  # a profile limiter's own ceiling still holds


def test_each_filter_is_designed_once_per_rate_and_cannot_be_changed() -> None:
    band_limit = AudioFilter("lowpass", (("frequency", 4500.0), ("stop_frequency", 5500.0), ("stop_db", 65.0)))
    first = dsp.design_filter(band_limit, 22050)
    assert dsp.design_filter(band_limit, 22050) is first
    assert dsp.design_filter(band_limit, 16000) is not first
    np.testing.assert_array_equal(first, dsp._design_filter(band_limit, 22050))
    with pytest.raises(ValueError):
        first[0, 0] = 0.0


def test_the_first_encoding_lowers_the_ceiling_on_sibilants_only(speech: np.ndarray) -> None:
    """Hiss (energy mostly above 5 kHz) gets the sibilance cut; voiced sound, silence and the
    speech's own quiet stretches between do not; espeak-ng's own fricatives are found."""
    rng = np.random.default_rng(7)
    second = RATE
    voiced = 0.3 * np.sin(2 * np.pi * 220 * np.arange(second) / RATE)
    hiss = sosfilt(butter(8, 6000, "highpass", fs=RATE, output="sos"), rng.standard_normal(second)) * 0.1
    signal = np.concatenate([voiced, np.zeros(second), hiss, voiced]).astype(np.float32)
    cuts = audio.sibilance_cuts(audio.Leveller(audio.Timeline.from_pcm(dsp.to_pcm(signal), RATE, ()), PLAYER)).array()
    steps = second // dsp.CONTROL_STEP
    margin = 20  # the ±5 ms window reaches across each boundary
    assert len(cuts) == -(-len(signal) // dsp.CONTROL_STEP)
    assert not cuts[: 2 * steps - margin].any()
    assert (cuts[2 * steps + margin : 3 * steps - margin] == -audio.SIBILANCE_CUT_DB).all()
    assert not cuts[3 * steps + margin :].any()
    spoken = audio.sibilance_cuts(audio.Leveller(audio.Timeline.from_pcm(dsp.to_pcm(speech), RATE, ()), PLAYER))
    assert 0.01 < (spoken.array() < 0).mean() < 0.3


def test_sibilance_cuts_of_many_blocks_are_those_of_one(speech: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    """A long segment's cuts, found a block of control steps at a time with the running means
    carried across blocks, are the same as when the whole segment is one block."""
    timeline_pcm = dsp.to_pcm(np.tile(speech, 8))
    whole = audio.sibilance_cuts(audio.Leveller(audio.Timeline.from_pcm(timeline_pcm, RATE, ()), PLAYER))
    monkeypatch.setattr(blocks, "BLOCK_SECONDS", 0.5)
    pieces = audio.sibilance_cuts(audio.Leveller(audio.Timeline.from_pcm(timeline_pcm, RATE, ()), PLAYER))
    assert not pieces.in_memory and len(pieces) > 4 * pieces.block
    in_blocks = np.concatenate([block for _, block in pieces.blocks()])
    assert (whole.array() < 0).any()
    np.testing.assert_array_equal(in_blocks, whole.array())


def test_an_encoded_file_meets_its_limits_after_sibilance_cuts(speech: np.ndarray, tmp_path: Path, monkeypatch) -> None:
    """The cuts only lower the ceiling: the file, decoded, still reaches the target loudness
    under the true-peak limit. A mono MP3 at the working rate is encoded, decoded and checked
    in memory: no temporary file is made."""
    monkeypatch.setattr(audio.tempfile, "TemporaryDirectory", None)
    timeline = audio.Timeline.from_pcm(dsp.to_pcm(speech * np.float32(0.2)), RATE, ())
    heard, encoded = audio.level_and_encode(timeline, PLAYER)
    (tmp_path / "s.mp3").write_bytes(encoded)
    assert abs(heard.loudness.integrated - PLAYER.loudness_lufs) <= audio.FILE_LOUDNESS_TOLERANCE
    assert heard.loudness.true_peak <= PLAYER.true_peak_dbtp - audio.PEAK_SAFETY_DB
    assert audio.measure_file(tmp_path / "s.mp3").true_peak <= PLAYER.true_peak_dbtp


@pytest.mark.parametrize("width", [2, 4, 16, 64])
def test_run_max_is_the_highest_of_each_run(width: int) -> None:
    rng = np.random.default_rng(width)
    values = rng.standard_normal(width * 301).astype(np.float32)
    values[::97] = 40.0  # isolated highs at every position within a run
    assert np.array_equal(dsp.run_max(values, width), values.reshape(-1, width).max(axis=1))
    assert dsp.run_max(values[:0], width).size == 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("length", [1, 3, 14, 1000])
def test_sliding_extremes_are_scipys_value_for_value(dtype: type, length: int) -> None:
    from scipy.ndimage import maximum_filter1d, minimum_filter1d

    values = np.random.default_rng(length).standard_normal(length).astype(dtype)
    for size in (1, 2, 3, 7, 8, 15, 16, 31, 165):
        assert np.array_equal(dsp.widen(values, size), maximum_filter1d(values, size, mode="nearest"))
        assert np.array_equal(dsp.narrowest(values, size), minimum_filter1d(values, size, mode="nearest"))
        assert dsp.widen(values, size).dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ramped_gains_are_the_point_plus_the_ramp_that_reaches_each_sample(dtype: type) -> None:
    rng = np.random.default_rng(7)
    points = np.exp(rng.standard_normal(5001)).astype(dtype)
    points[100:200] = points[99]  # flat stretches: differences of exactly zero
    before = np.concatenate([points[:1], points[:-1]]) - points
    after = np.concatenate([points[1:], points[-1:]]) - points
    half = dsp.CONTROL_STEP // 2
    expected = np.empty((len(points), dsp.CONTROL_STEP), dtype=dtype)
    expected[:, :half] = before[:, None] * dsp._RAMP_FROM_BEFORE[:half].astype(dtype) + points[:, None]
    expected[:, half:] = after[:, None] * dsp._RAMP_TO_AFTER[half:].astype(dtype) + points[:, None]
    assert np.array_equal(dsp._ramps(points), expected)
    assert dsp._ramps(points).dtype == dtype
    assert dsp._ramps(points[:0]).shape == (0, dsp.CONTROL_STEP)


@pytest.mark.parametrize("length", [5, 16 * 2205, 16 * 2205 + 9, 300_001])
def test_sums_of_squares_are_numpys_buffered_double_sums(length: int) -> None:
    """Converting to double first gives the sums einsum gives when it casts as it goes."""
    signal = np.random.default_rng(length).standard_normal(length).astype(np.float32)
    padded = np.pad(signal, (0, -length % dsp.CONTROL_STEP)).reshape(-1, dsp.CONTROL_STEP)
    assert np.array_equal(dsp.step_energies(signal), np.einsum("ij,ij->i", padded, padded, dtype=np.float64))
    assert np.array_equal(dsp.step_energies(signal.astype(np.float64)), dsp.step_energies(signal))
    hop = round(dsp.HOP_SECONDS * RATE)
    hops = signal[: length // hop * hop].reshape(-1, hop)
    assert np.array_equal(dsp.hop_sums(signal, RATE), np.einsum("ij,ij->i", hops, hops, dtype=np.float64))


def test_gained_hop_sums_are_bincounts_sums() -> None:
    """Each hop's gained energies added in step order, as ``np.bincount`` adds them."""
    rng = np.random.default_rng(3)
    for _ in range(200):
        hop = int(rng.choice([2205, 1600, 441, 17]))
        length, first_step = int(rng.integers(0, 5000)), int(rng.integers(0, 3000))
        first = -(-first_step * dsp.CONTROL_STEP // hop)  # the first hop starting at or after first_step
        stop = int(rng.integers(first, max(first, (first_step + length) * dsp.CONTROL_STEP // hop) + 2))
        energies = rng.random(length)
        curve = rng.random(length).astype(rng.choice([np.float32, np.float64]))
        begin = -(-first * hop // dsp.CONTROL_STEP)
        end = min(first_step + length, -(-stop * hop // dsp.CONTROL_STEP))
        inside = slice(begin - first_step, end - first_step)
        weights = energies[inside] * curve[inside]
        weights *= curve[inside]
        hops = np.arange(begin, end) * dsp.CONTROL_STEP // hop - first
        expected = np.bincount(hops, weights=weights, minlength=stop - first)
        assert np.array_equal(dsp.gained_hop_sums_part(energies, curve, first_step, first, stop, hop), expected)


def _signals() -> dict[str, np.ndarray]:
    """Signals that stress the shortcuts of the true-peak meter (each 40,011 samples: a short last step)."""
    rng = np.random.default_rng(11)
    length = 40_011
    spikes = np.zeros(length, dtype=np.float32)
    spikes[rng.choice(length, 40, replace=False)] = rng.choice([-1.0, 1.0], 40) * rng.uniform(0.9, 1.0, 40)
    square = np.sign(np.sin(2 * np.pi * 3000 * np.arange(length) / RATE)).astype(np.float32)
    clipped = np.clip(1.6 * np.sin(2 * np.pi * 1234 * np.arange(length) / RATE), -1, 1).astype(np.float32)
    quiet_then_loud = (rng.standard_normal(length) * np.linspace(0.001, 0.3, length)).astype(np.float32)
    return {
        "noise": (rng.standard_normal(length) * 0.25).astype(np.float32),
        "isolated near-full-scale samples": spikes,
        "silence": np.zeros(length, dtype=np.float32),
        "square wave": square * np.float32(0.99),
        "clipped sine": clipped,
        "quiet, then loud": quiet_then_loud,
    }


@pytest.mark.parametrize("name", list(_signals()))
def test_bounded_true_peaks_are_the_fully_oversampled_ones_where_they_can_matter(name: str) -> None:
    signal = _signals()[name]
    full = dsp.true_peaks(signal)  # every run oversampled
    assert np.allclose(full, dsp.control_max(reference_peaks(signal)), atol=1e-6)
    for floor_db in (-20.0, -6.0, -1.0, 0.0, 3.0):
        floor = 10 ** (floor_db / 20)
        bounded = dsp.true_peaks(signal, floor)
        reaching = full >= min(floor, float(np.abs(signal).max()))
        assert np.array_equal(bounded[reaching], full[reaching])  # bit for bit
        assert np.all(bounded <= full)  # elsewhere the sample peak, never more
        assert bounded.max() == full.max()  # the loudest true peak is always found


@pytest.mark.parametrize("name", list(_signals()))
def test_a_limiter_on_a_bounded_envelope_is_the_limiter_on_the_full_one(name: str) -> None:
    """The envelope is oversampled only down to its floor: where it is used, that changes nothing."""
    signal = _signals()[name]
    full = dsp.peak_envelope(signal, RATE)
    for gain_db, ceiling_db in ((0.0, -3.0), (9.0, -1.5), (-6.0, -12.0)):
        floor = 10 ** ((ceiling_db - gain_db - 9.0) / 20)
        bounded = dsp.peak_envelope(signal, RATE, floor=floor)
        curve, true_peak = dsp.limiter_gain(bounded, gain_db, ceiling_db)
        expected_curve, expected_peak = dsp.limiter_gain(full, gain_db, ceiling_db)
        assert np.array_equal(curve, expected_curve)
        assert true_peak == expected_peak


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("length", [0, 1, 2, 3, 1000, 1001])
def test_the_nudge_against_subnormals_is_every_other_sample_plus_it_bit_for_bit(dtype: type, length: int) -> None:
    samples = np.random.default_rng(length).standard_normal(length).astype(dtype)
    samples[::3] = 0.0
    samples[1::5] = -0.0  # negative zeros at odd places stay negative
    samples[::7] *= dtype(1e-30)
    expected = samples.copy()
    expected[::2] += dtype(2 * dsp._KEEP_NORMAL)
    assert dsp.nudged(samples).tobytes() == expected.tobytes()
    assert dsp.nudged(samples[::-1]).tobytes() == dsp.nudged(samples[::-1].copy()).tobytes()  # any layout


@pytest.mark.parametrize("length", [0, 5, 35_280 * 3, 35_280 * 3 + 2_205 * 4 + 7, 400_001])
def test_sums_of_squares_a_stretch_at_a_time_are_the_sums_over_the_whole_block(length: int, monkeypatch) -> None:
    weighted = np.random.default_rng(length).normal(0, 0.2, length).astype(np.float32)
    whole = weighted.astype(np.float64)
    monkeypatch.setattr(dsp, "SQUARES_AT_ONCE", 40_000)  # stretches of one lcm(hop, step) = 35,280 samples
    steps, hops = dsp.sums_of_squares(weighted, RATE)
    assert np.array_equal(steps, dsp.step_energies(whole)) and np.array_equal(hops, dsp.hop_sums(whole, RATE))
    assert dsp.sums_of_squares(weighted, RATE, per_step=False)[0].size == 0


def _peaks_tap_by_tap(samples: np.ndarray) -> np.ndarray:
    """Each run's highest point between samples, every point's products added in tap order
    (float32, one tap at a time over the whole signal): the sum the true-peak meter defines."""
    reach, step = dsp.INTERPOLATOR_REACH, dsp.CONTROL_STEP
    padded = np.pad(samples.astype(np.float32), (reach, reach))
    weights = dsp._phase_matrix()
    highest = np.zeros(len(samples), dtype=np.float32)
    for phase in range(dsp.OVERSAMPLE):
        total = padded[0 : len(samples)] * weights[0, phase]
        for tap in range(1, 2 * reach + 1):
            total += padded[tap : tap + len(samples)] * weights[tap, phase]
        np.maximum(highest, np.abs(total), out=highest)
    runs = -(-len(samples) // step)
    return np.pad(highest, (0, runs * step - len(samples))).reshape(runs, step).max(axis=1)


@pytest.mark.parametrize("name", list(_signals()))
def test_a_runs_true_peak_does_not_depend_on_the_runs_interpolated_with_it(name: str) -> None:
    """A matrix product's rounding can change with its shape; each run's peak must not."""
    signal = _signals()[name][: 5000 * dsp.CONTROL_STEP - 5]  # a short last run too
    padded = np.pad(signal, (dsp.INTERPOLATOR_REACH, dsp.INTERPOLATOR_REACH + dsp.CONTROL_STEP))
    expected = _peaks_tap_by_tap(signal)
    every = np.arange(len(expected))
    loudest = _loudest_within_reach(padded, len(expected))
    for runs in (every, every[::7], every[-3:], every[1234:1235], every[::-1][:4100][::-1]):
        found = np.zeros(len(expected), dtype=np.float32)
        for batch, points in dsp.points_between_samples(padded, runs, loudest[runs], len(signal)):
            found[batch] = points
        assert np.array_equal(found[runs], expected[runs])  # bit for bit


@pytest.mark.parametrize("name", list(_signals()))
def test_a_runs_true_peak_is_the_same_under_any_bound_of_its_loudest_sample(name: str) -> None:
    """The bound given with each run only decides which points are summed again: the window's own
    loudest sample, the highest of the run and its neighbours (what a build passes), or far more."""
    signal = _signals()[name][: 3000 * dsp.CONTROL_STEP]
    padded = np.pad(signal, (dsp.INTERPOLATOR_REACH, dsp.INTERPOLATOR_REACH + dsp.CONTROL_STEP))
    expected = _peaks_tap_by_tap(signal)
    runs = np.arange(len(expected))
    run_peaks = dsp.control_max(np.abs(signal))
    neighbourhood = np.maximum(run_peaks, np.maximum(np.roll(run_peaks, 1), np.roll(run_peaks, -1)))
    own = _loudest_within_reach(padded, len(expected))
    assert np.all(neighbourhood >= own)
    for loudest in (own, neighbourhood, neighbourhood * np.float32(1000.0)):
        found = np.zeros(len(expected), dtype=np.float32)
        for batch, points in dsp.points_between_samples(padded, runs, loudest, len(signal)):
            found[batch] = points
        assert np.array_equal(found, expected)


def _loudest_within_reach(padded: np.ndarray, runs: int) -> np.ndarray:
    """The largest absolute sample of each run's window (the run and the interpolator's reach)."""
    width = dsp.CONTROL_STEP + 2 * dsp.INTERPOLATOR_REACH
    windows = np.lib.stride_tricks.sliding_window_view(padded, width)[:: dsp.CONTROL_STEP][:runs]
    return np.abs(windows).max(axis=1)


def test_control_means_do_not_depend_on_how_much_signal_is_reduced_with_them() -> None:
    """A compressor run in blocks measures each run as one run at once does."""
    power = (np.random.default_rng(3).standard_normal(70_000 * dsp.CONTROL_STEP) ** 2).astype(np.float32)
    whole = dsp.control_mean(power)
    for start, stop in ((0, 16), (16 * 9, 16 * 40_009), (16 * 3, len(power))):
        assert np.array_equal(dsp.control_mean(power[start:stop]), whole[start // 16 : stop // 16])
    runs = power.reshape(-1, dsp.CONTROL_STEP)
    assert np.allclose(whole, runs.astype(np.float64).mean(axis=1), rtol=1e-6)
