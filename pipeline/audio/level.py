"""Audio: join synthesised pieces, level them to the profile's loudness, encode.

Entry points: :func:`join_pieces` (engine WAVs, each trimmed of the
engine's own leading and trailing silence by :func:`trim_silence`, and the
configured silences → one PCM timeline, with the real start and end of every
sentence), :class:`Leveller`
(the profile's filters, loudness and limiter, in process: see
:mod:`pipeline.audio.dsp`), :func:`level_and_encode` (level, encode, decode and
check the file a player will hear), :func:`encode` and :func:`measure_file`
(ffmpeg's own EBU R128 meter on a finished file, for checks).

pydub reads and converts the engines' WAVs (any rate, width or channel
count). A mono MP3 at the working rate is encoded by LAME in this process
(lameenc; the frames are identical to ffmpeg's libmp3lame) and decoded by
libmpg123 (:mod:`pipeline.audio.mpg123`; libsndfile's mpg123 through
soundfile where it cannot be loaded), both in memory; anything that needs
resampling or another container goes through ffmpeg, run from argument lists
with timeouts, over files in a temporary folder. The caller gets the encoded
bytes and stages them beside their destination.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import lameenc
import numpy as np
import soundfile
from pydub import AudioSegment

from pipeline.audio import blocks, dsp, mpg123
from pipeline.audio.blocks import SampleStore
from pipeline.audio.ffmpeg import checked_run, tool_path
from pipeline.audio.gain_search import LoudnessCurve
from pipeline.errors import AudioError
from pipeline.formats.lyrics import Cue
from pipeline.project.station import Profile

WORKING_RATE = 22050
SAMPLE_WIDTH = 2
LAME_QUALITY = 3  # LAME's own default, which ffmpeg's libmp3lame keeps
LOUDNESS_TOLERANCE = 0.1  # LU: correct the gain when further off target
LEVELLING_ROUNDS = 8
# Aim this far under the target, near the low end of the tolerance: the loudness curve is flat up
# there (0.01-0.05 LU per dB of gain in the sample station's segments), so its middle costs several
# decibels more push into the limiter (aiming 0.05 LU under it: 13 of 36 files pushed 18 dB or more).
SEARCH_AIM_LU = 0.09
MAX_LIMITER_PUSH_DB = 24.0  # never push more than this into the limiter: it would only flatten the speech
# Under a ceiling with a higher one allowed, push at most this much: audio that needs more takes
# the next ceiling instead, where a lower push meets the target (the loudness curve is flat this
# far in: the sample station's segments gained 0.01-0.03 LU per further decibel).
MAX_PUSH_UNDER_A_LOWER_CEILING_DB = 18.0
FILE_LOUDNESS_TOLERANCE = 0.5  # LU: re-encode when the encoded file is further off target
FILE_CHECK_ROUNDS = 3
# LAME's encoder delay (576) plus the decoder's (529): where decoded audio starts.
MP3_START_SAMPLES = 1105
CUT_WIDTH_SECONDS = 0.05  # how far around a codec overshoot the limiter's ceiling is lowered
PEAK_SAFETY_DB = 0.2  # aim this far under the true-peak limit: meters differ by about this much
# Limiter ceilings below the true-peak target, tried in order: room for the codec's overshoot.
# A file's highest overshoot is the largest of thousands, so it varies little: 2.0-2.6 dB for
# speech at 32 kbps (measured on the benchmark corpus). With 2.0 dB, 15-17 % of files needed a
# second encoding; with 2.8 dB, 2 %. Audio too dense to reach the target loudness under one
# ceiling (a third of that corpus's segments under 2.8 dB) takes the next: with 2.4 dB all of
# that corpus reached it, and 5 % of its files then needed a second encoding (12 % when such
# audio went straight to 2.0 dB). Measured again on 96 files (see SIBILANCE_RATIO_DB) with the
# pronunciation stage's denser speech: 17 needed a second encoding, all for sibilants' peaks.
LIMITER_MARGINS_DB = (2.8, 2.4, 2.0)
# A low-bitrate MP3 encoder takes about this much loudness away (measured on the sample episodes:
# 0.4-0.6 LU at 32 kbps); starting this much louder saves most files a second encoding.
# The decoded file is measured either way.
CODEC_LOUDNESS_LOSS_LU = 0.45
_SILENT_LUFS = -69.0
# Where a low-bitrate codec overshoots most: sibilants. At 32 kbps LAME cannot code their hiss
# exactly, and its error adds to their peaks. Measured on 96 segment files (the sample station
# read by three sets of voices and rates): every file that needed a second encoding did so for
# a true peak over the limit (none for loudness). The highest overshoots over the levelled
# audio (2-4.6 dB, against a median of -0.5 dB where the limiter works; 5 files looked at, 6
# highest steps each) were where the energy above 5 kHz within ±5 ms was 1.5-8.5 dB under the
# whole band's (sibilants), against a median of -30 dB where the limiter works. Wider margins
# for every peak did not help (3.2/2.8/2.4 dB: 15 of 96 files encoded again; 3.0/2.6/2.2: 18;
# 2.8/2.4/2.0: 17): they only moved more files to the next ceiling. So the first encoding is
# made with the limiter's ceiling lowered by SIBILANCE_CUT_DB on sibilants (sibilance_cuts).
# A 5 kHz high-pass found them (its energy over -6 dB of the whole band's: none of the 96 then
# needed a second encoding) but cost 1.0 s of CPU in a cold build of the sample; the signal's
# first difference against the K-weighted energy the leveller has already costs 0.17 s and,
# over SIBILANCE_RATIO_DB, misses 0.14 % of the steps the high-pass marked and marks 9 % more
# (measured on the sample). At 16 kbps (16 kHz) the cuts made no difference (the sample's 32 files: 47
# encodings without, 50 with; there the second encodings are for loudness the codec's band
# limit takes away), so they are made from SIBILANCE_MIN_KBPS up.
SIBILANCE_MIN_KBPS = 32
SIBILANCE_RATIO_DB = -3.5
SIBILANCE_CUT_DB = 1.5
SIBILANCE_WINDOW_SECONDS = 0.011  # ±5 ms: 15 control steps at 22.05 kHz
# The peak envelope is oversampled only where peaks come within this much of the limiter's
# ceiling at the gain tried; a later gain or cut beyond it extends the envelope (only the runs
# it had left out are oversampled then).
ENVELOPE_HEADROOM_DB = 9.0
# An engine pads each utterance with its own silence (espeak-ng 1.51: exact zeros, 40-55 ms
# before and 370-390 ms after, measured with 'espeak-ng -w' at 22.05 kHz), which would add to
# the configured pauses. Samples quieter than this at either end are that padding: -60 dBFS is
# 30 dB under the quietest speech onsets measured, so no onset or release is cut.
PADDING_LEVEL_DBFS = -60.0
# Kept around the speech: a fade-in or tail just under the level stays whole.
EDGE_GUARD_SECONDS = 0.005


@dataclass(frozen=True)
class Silence:
    """A pause of ``seconds``."""

    seconds: float


@dataclass(frozen=True)
class Speech:
    """An engine's utterance (its WAV, or the speech cache's FLAC), joined without the engine's
    own leading and trailing silence; ``cue`` starts a sentence cue, ``cue_end`` closes it after
    this piece."""

    wav: Path
    cue: str | None = None
    cue_end: bool = True


@dataclass(frozen=True)
class Timeline:
    """Joined mono audio at ``sample_rate`` (16-bit PCM values as floats, in a
    :class:`~pipeline.audio.blocks.SampleStore`) and the sentence cues inside it."""

    samples: SampleStore
    sample_rate: int
    cues: tuple[Cue, ...]

    @classmethod
    def from_pcm(cls, pcm: bytes, sample_rate: int, cues: tuple[Cue, ...] = ()) -> Timeline:
        """A timeline of mono 16-bit PCM."""
        return cls(SampleStore.of(dsp.to_float(pcm), blocks.block_samples(sample_rate)), sample_rate, cues)

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.samples.length / self.sample_rate


# An utterance's 16-bit samples (frames × channels) and their sample rate, as its file decodes.
DecodedSpeech = Mapping[Path, tuple[np.ndarray, int]]


def join_pieces(
    pieces: Sequence[Speech | Silence], sample_rate: int = WORKING_RATE, decoded: DecodedSpeech | None = None
) -> Timeline:
    """Concatenate speech and silences (a long timeline goes to a temporary file as it grows);
    cue times come from the real sample counts. ``decoded`` gives the samples of speech files
    already known (the speech cache's fresh entries): those are not read again."""
    store = SampleStore(blocks.block_samples(sample_rate))
    cues: list[Cue] = []
    open_cue: tuple[float, str] | None = None
    for piece in pieces:
        if isinstance(piece, Silence):
            store.append(np.zeros(round(piece.seconds * sample_rate), dtype=np.float32))
            continue
        if piece.cue is not None:
            open_cue = (store.length / sample_rate, piece.cue)
        known = decoded.get(piece.wav) if decoded else None
        pcm = _read_pcm(piece.wav, sample_rate) if known is None else _converted(_segment_of(*known), sample_rate)
        store.append(dsp.to_float(trim_silence(pcm, sample_rate)))
        if piece.cue_end and open_cue is not None:
            cues.append(Cue(round(open_cue[0], 3), round(store.length / sample_rate, 3), open_cue[1]))
            open_cue = None
    return Timeline(store, sample_rate, tuple(cues))


def trim_silence(pcm: bytes, sample_rate: int) -> bytes:
    """16-bit mono ``pcm`` without the quiet run at either end (below :data:`PADDING_LEVEL_DBFS`),
    keeping :data:`EDGE_GUARD_SECONDS` around the speech; audio with nothing louder is kept whole."""
    samples = np.frombuffer(pcm, dtype="<i2")
    threshold = 32768 * 10 ** (PADDING_LEVEL_DBFS / 20)
    audible = np.flatnonzero(np.abs(samples.astype(np.int32)) > threshold)
    if audible.size == 0:
        return pcm
    guard = round(EDGE_GUARD_SECONDS * sample_rate)
    start = max(0, int(audible[0]) - guard)
    end = min(samples.size, int(audible[-1]) + 1 + guard)
    return samples[start:end].tobytes()


def _read_pcm(path: Path, sample_rate: int) -> bytes:
    try:
        segment = _read_flac(path) if path.suffix == ".flac" else AudioSegment.from_wav(str(path))
    except Exception as exc:  # pydub and libsndfile raise several unrelated types for a bad file
        raise AudioError(f"cannot read synthesised audio {path.name}: {exc}") from exc
    return _converted(segment, sample_rate)


def _converted(segment: AudioSegment, sample_rate: int) -> bytes:
    """Mono 16-bit PCM at ``sample_rate`` of an engine's audio."""
    if segment.channels != 1:
        segment = segment.set_channels(1)
    if segment.sample_width != SAMPLE_WIDTH:
        segment = segment.set_sample_width(SAMPLE_WIDTH)
    if segment.frame_rate != sample_rate:
        segment = segment.set_frame_rate(sample_rate)
    return segment.raw_data


def _read_flac(path: Path) -> AudioSegment:
    """A cached FLAC's 16-bit samples as the engine's WAV held them (the speech cache keeps only
    16-bit PCM as FLAC), so the conversions below do exactly what they would do to that WAV."""
    return _segment_of(*soundfile.read(str(path), dtype="int16", always_2d=True))


def _segment_of(samples: np.ndarray, rate: int) -> AudioSegment:
    """16-bit samples (frames × channels) as pydub's audio."""
    data = samples.astype("<i2", copy=False).tobytes()
    return AudioSegment(data=data, sample_width=SAMPLE_WIDTH, frame_rate=rate, channels=samples.shape[1])


@dataclass(frozen=True)
class Loudness:
    """EBU R128 integrated loudness (LUFS) and true peak (dBTP)."""

    integrated: float
    true_peak: float


# Levelled 16-bit PCM, block by block; each call starts again from the beginning.
PcmBlocks = Callable[[], Iterator[bytes]]


@dataclass(frozen=True)
class Levelled:
    """Levelled PCM ready to encode (block by block), its loudness, and its gating blocks (for joining)."""

    pcm_blocks: PcmBlocks
    sample_rate: int
    loudness: Loudness
    blocks: np.ndarray
    length: int  # samples

    @property
    def pcm(self) -> bytes:
        """All of the PCM at once (for short audio)."""
        return b"".join(self.pcm_blocks())

    @property
    def measured(self) -> Measured:
        """Its loudness, gating blocks and length."""
        return Measured(self.loudness, self.blocks, self.length / self.sample_rate)


@dataclass(frozen=True)
class Measured:
    """What a finished segment measures: loudness, gating blocks (for joining) and length in seconds."""

    loudness: Loudness
    blocks: np.ndarray
    duration: float


class Leveller:
    """One timeline's levelling: the filters, K-weighting and peak envelope are computed once;
    :meth:`render` then tries gains and per-place ceiling cuts cheaply, at control rate. The
    filtered audio and every control-rate signal (step energies, envelope, gain curves, cuts)
    are :class:`~pipeline.audio.blocks.SampleStore` objects, processed a block at a time."""

    def __init__(self, timeline: Timeline, profile: Profile) -> None:
        self.profile = profile
        self.rate = timeline.sample_rate
        self.filtered = blocks.filtered(timeline.samples, self.rate, profile.filters)
        self.energies, mean_squares = blocks.weighted_measures(self.filtered, self.rate)
        self.measured = dsp.integrated_loudness(mean_squares)
        if self.measured <= _SILENT_LUFS:
            raise AudioError("the audio is silent: nothing was synthesised")
        self.ceilings = sorted({_limiter_ceiling(profile, margin) for margin in LIMITER_MARGINS_DB})
        self.ceiling = self.ceilings[0]
        floor = _envelope_floor(profile.loudness_lufs - self.measured, self.ceiling)
        self.envelope = blocks.envelope(self.filtered, self.rate, floor=floor)
        self._curve: tuple[SampleStore | None, LoudnessCurve] | None = None

    def render(self, gain_offset: float = 0.0, cuts: SampleStore | None = None) -> Levelled:
        """The levelled audio (see :meth:`gains`) with its loudness and gating blocks."""
        curve, true_peak = self.gains(gain_offset, cuts)
        _, mean_squares = blocks.weighted_measures(self.filtered, self.rate, gain=curve)
        loudness = Loudness(round(dsp.integrated_loudness(mean_squares), 2), round(true_peak, 2))
        return Levelled(self._pcm(curve), self.rate, loudness, mean_squares, self.filtered.length)

    def render_pcm(self, gain_offset: float = 0.0, cuts: SampleStore | None = None) -> PcmBlocks:
        """Only the levelled PCM (see :meth:`gains`), for a file that is decoded and measured anyway."""
        return self._pcm(self.gains(gain_offset, cuts)[0])

    def _pcm(self, curve: SampleStore) -> PcmBlocks:
        return lambda: blocks.pcm_blocks(blocks.gained_blocks(self.filtered, curve))

    def gains(self, gain_offset: float = 0.0, cuts: SampleStore | None = None) -> tuple[SampleStore, float]:
        """The gain curve (one point per control step, see :func:`dsp.audio_rate_gain`, in a
        control-rate store) that brings the audio to the target loudness (plus ``gain_offset``)
        under the limiter, whose ceiling is lowered by ``cuts`` (dB per control step) where the
        codec overshot; and the true peak it leaves.

        The limiter takes a little loudness away, so the gain is pushed up by
        what it took until the limited signal meets the target. Dense audio
        may not reach it under the limiter's usual ceiling; the next higher
        one allowed is then used (for this and every later render).
        """
        target = self.profile.loudness_lufs + gain_offset
        while True:
            higher = [ceiling for ceiling in self.ceilings if ceiling > self.ceiling]
            limited = self._search(target, self.ceiling, cuts, may_give_up=bool(higher))
            if limited is not None and (target - limited.loudness <= LOUDNESS_TOLERANCE or not higher):
                return limited.curve, limited.true_peak
            if limited is not None:
                limited.curve.close()
            self.ceiling = higher[0]

    def _search(
        self, target: float, ceiling: float, cuts: SampleStore | None, may_give_up: bool = False
    ) -> blocks.Limited | None:
        """The limiter under ``ceiling`` less ``cuts`` that meets ``target`` (or the last of
        LEVELLING_ROUNDS tries), its gains chosen along the signal's loudness curve
        (:mod:`pipeline.audio.gain_search`). With ``may_give_up``, None or a try short of the
        target as soon as the tries, at this ceiling or any other, show it is out of reach."""
        curve = self._loudness_curve(cuts)
        lowest_ceiling = _lowest_ceiling(ceiling, cuts)
        plain = target - self.measured - ceiling  # the gain over the ceiling that meets the target unlimited
        highest = plain + (MAX_PUSH_UNDER_A_LOWER_CEILING_DB if may_give_up else MAX_LIMITER_PUSH_DB)
        limited: blocks.Limited | None = None
        gain = math.nan
        amplitudes = blocks.Ceiling(ceiling, cuts)
        for _ in range(LEVELLING_ROUNDS):
            if may_give_up and _out_of_reach(curve.known(), target - LOUDNESS_TOLERANCE - ceiling, highest):
                break
            over = curve.next_try(target - ceiling - SEARCH_AIM_LU, plain, highest)
            if limited is not None and math.isclose(over, gain - ceiling, abs_tol=1e-9):
                break  # the same try again (at the highest gain allowed): it would reach no further
            gain = ceiling + over
            if not self.envelope.covers(gain, lowest_ceiling):
                floor = _envelope_floor(gain, lowest_ceiling)
                self.envelope = blocks.envelope(self.filtered, self.rate, floor=floor, extending=self.envelope)
            if limited is not None:
                limited.curve.close()
            limited = blocks.limited(self.envelope, self.energies, self.rate, gain, amplitudes)
            curve.add(gain - ceiling, limited.loudness - ceiling)
            if abs(target - limited.loudness) <= LOUDNESS_TOLERANCE:
                break
        amplitudes.close()
        return limited

    def _loudness_curve(self, cuts: SampleStore | None) -> LoudnessCurve:
        """The loudness curve under ``cuts``: made once, its tries shared by every search under them."""
        if self._curve is None or self._curve[0] is not cuts:
            self._curve = (cuts, LoudnessCurve(self._curve_steps(cuts), self.measured))
        return self._curve[1]

    def _curve_steps(self, cuts: SampleStore | None) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray | float]]:
        """Each block of control steps: peaks held over one and a half look-aheads (see
        :mod:`pipeline.audio.gain_search`), energies, and the ceiling at 0 dB less ``cuts``."""
        held = blocks.widened(self.envelope.held, self.envelope.window // 2 | 1)
        at_zero = blocks.Ceiling(0.0, cuts)
        try:
            for start, values in held.blocks():
                stop = start + len(values)
                yield values, self.energies.read(start, stop), at_zero.read(start, stop)
        finally:
            held.close()
            at_zero.close()

    def raise_ceiling(self, headroom_db: float) -> None:
        """Let the limiter work ``headroom_db`` closer to the profile's true-peak limit (never
        above it, less the safety margin, nor above a profile limiter's own ceiling): for a file
        whose codec took peaks away along with loudness, so that the decoded file can still
        reach the target."""
        highest = _limiter_ceiling(self.profile, PEAK_SAFETY_DB)
        self.ceiling = max(self.ceiling, min(self.ceiling + headroom_db, highest))
        self.ceilings = sorted({*self.ceilings, self.ceiling})

    def no_cuts(self) -> SampleStore:
        """A ceiling-cut map (dB per control step, in a control-rate store) that cuts nothing."""
        cuts = blocks.control_store(self.filtered)
        for start in range(0, self.envelope.peaks.length, cuts.block):
            cuts.append(np.zeros(min(cuts.block, self.envelope.peaks.length - start), dtype=np.float32))
        return cuts


def _lowest_ceiling(ceiling: float, cuts: SampleStore | None) -> float:
    """The lowest of ``ceiling`` less ``cuts`` (in the precision the limiter works in)."""
    if cuts is None:
        return float(np.min(ceiling))
    return min((float(np.min(ceiling + block)) for _, block in cuts.blocks()), default=float(np.min(ceiling)))


def _envelope_floor(gain_db: float, lowest_ceiling_db: float) -> float:
    """The level down to which a peak envelope is oversampled for a limiter at this gain and
    ceiling, with ENVELOPE_HEADROOM_DB to spare for the next corrections."""
    return 10 ** ((lowest_ceiling_db - gain_db - ENVELOPE_HEADROOM_DB) / 20)


def _out_of_reach(tried: list[tuple[float, float]], target: float, highest_gain: float) -> bool:
    """Whether the last two tries show ``target`` cannot be met at ``highest_gain`` or below.
    Each decibel pushed into a limiter adds less loudness than the one before, so the line
    through the last two tries promises more than the limiter gives: where even that line stays
    short of the target (or gains nothing), more gain is no use."""
    slope = _last_slope(tried)
    if slope is None:
        return False
    gain, reached = tried[-1]
    if reached >= target or gain < tried[-2][0]:
        return False
    return slope <= 0 or gain + (target - reached) / slope > highest_gain


def _last_slope(tried: list[tuple[float, float]]) -> float | None:
    """Loudness reached per decibel of gain between the last two tries (gain, loudness);
    None before there are two tries at different gains."""
    if len(tried) < 2:
        return None
    (previous_gain, previous_reached), (gain, reached) = tried[-2], tried[-1]
    return None if gain == previous_gain else (reached - previous_reached) / (gain - previous_gain)


def _limiter_ceiling(profile: Profile, margin_db: float) -> float:
    """Limiter ceiling: ``margin_db`` below the true-peak target, and below a profile limiter's own."""
    ceiling = profile.true_peak_dbtp - margin_db
    for item in profile.filters:
        if item.kind == "limiter":
            ceiling = min(ceiling, item.get("ceiling_db", ceiling))
    return ceiling


def level_and_encode(timeline: Timeline, profile: Profile) -> tuple[Measured, bytes]:
    """Level, encode, and check the encoded file as a player decodes it; the file's measurement
    and its bytes (made and checked in memory: an hour's MP3 is 14 MB).

    A low-bitrate codec takes some loudness away and, here and there, puts
    peaks back above the limiter's ceiling, most of all on sibilants: the
    first encoding is made with the ceiling lowered there already
    (:func:`sibilance_cuts`), which spared every second encoding of 96
    measured files (17 needed one without). The file is decoded and measured:
    when it is off target by more than half a unit the gain is corrected, and
    where its true peak is over the profile's (less a small safety margin)
    the limiter's ceiling is lowered around those places only, so the
    loudness of the rest is untouched; then it is encoded again. A file still
    too quiet whose decoded peaks stay under the limit (a low-rate codec's
    band limit takes peaks away with the loudness: short, sibilant openings
    at 16 kbps lost 1 LU under a limiter set 2.8 dB below the limit) gets the
    limiter's ceiling raised by that headroom. Should the
    peaks still not settle, the whole file is turned down until they fit: a
    little quieter is better than clipping a listener's player. The returned
    measurement is the file's own.
    """
    leveller = Leveller(timeline, profile)
    blocks.release_freed_memory(timeline.samples)
    if profile.codec != "mp3":
        levelled = leveller.render()
        return levelled.measured, encode(levelled.pcm_blocks, levelled.sample_rate, profile)
    sibilants_cut = (profile.bitrate_kbps or 0) >= SIBILANCE_MIN_KBPS
    gain_offset, cuts = CODEC_LOUDNESS_LOSS_LU, sibilance_cuts(leveller) if sibilants_cut else leveller.no_cuts()
    pcm = leveller.render_pcm(gain_offset, cuts)
    blocks.release_freed_memory(timeline.samples)
    encoded = encode(pcm, leveller.rate, profile)
    peak_limit = profile.true_peak_dbtp - PEAK_SAFETY_DB
    delay = round(MP3_START_SAMPLES * leveller.rate / profile.sample_rate)
    for round_number in range(FILE_CHECK_ROUNDS + 1):
        blocks.release_freed_memory(timeline.samples)
        heard, peaks = measure_decoded(encoded, profile, leveller.rate, delay)
        off_target = profile.loudness_lufs - heard.loudness.integrated
        over = _overshoot(peaks, peak_limit, len(cuts))
        if abs(off_target) <= FILE_LOUDNESS_TOLERANCE and not over.any():
            return heard, encoded
        if round_number == FILE_CHECK_ROUNDS:
            break
        if abs(off_target) > FILE_LOUDNESS_TOLERANCE:
            gain_offset += off_target
        if off_target > FILE_LOUDNESS_TOLERANCE and heard.loudness.true_peak < peak_limit:
            leveller.raise_ceiling(peak_limit - heard.loudness.true_peak)
        cuts = _lowered(cuts, over, leveller.rate)
        blocks.release_freed_memory(timeline.samples)
        pcm = leveller.render_pcm(gain_offset, cuts)
        del encoded  # no more than one encoding held at a time
        encoded = encode(pcm, leveller.rate, profile)
    for _ in range(FILE_CHECK_ROUNDS):
        over_peak = heard.loudness.true_peak - peak_limit
        if over_peak <= 0:
            break
        pcm = _turned_down(pcm, over_peak + PEAK_SAFETY_DB)
        del encoded
        encoded = encode(pcm, leveller.rate, profile)
        heard, _ = measure_decoded(encoded, profile, leveller.rate, delay)
    return heard, encoded


def sibilance_cuts(leveller: Leveller) -> SampleStore:
    """The first encoding's ceiling cuts (dB per control step, in a control-rate store):
    SIBILANCE_CUT_DB where, over SIBILANCE_WINDOW_SECONDS around the step, the energy of the
    signal's first difference (a high-pass rising 6 dB an octave) is within SIBILANCE_RATIO_DB
    of the K-weighted signal's (the leveller's own measure) and the sound is louder than an
    engine's silence: hiss, not voice (see SIBILANCE_RATIO_DB for why and how it was chosen).
    Computed a block of control steps at a time, both running means carrying their sums across
    blocks (:class:`blocks.RunningMean`), so a long segment's cuts take no memory of their own."""
    changes = _difference_energies(leveller.filtered)
    window = max(1, round(SIBILANCE_WINDOW_SECONDS * leveller.rate / dsp.CONTROL_STEP))
    change = blocks.RunningMean(changes.nearest, window)
    weighted = blocks.RunningMean(_in_float32(leveller.energies), window)
    steps, measured = leveller.envelope.peaks.length, min(changes.length, leveller.energies.length)
    cuts = blocks.control_store(leveller.filtered)
    for start in range(0, steps, cuts.block):
        stop = min(start + cuts.block, steps)
        block = np.zeros(stop - start, dtype=np.float32)
        if start < measured:
            known = min(stop, measured)
            sibilant = _sibilant(change.values(start, known), weighted.values(start, known))
            block[: known - start][sibilant] = -SIBILANCE_CUT_DB
        cuts.append(block)
    changes.close()
    return cuts


def _difference_energies(filtered: SampleStore) -> SampleStore:
    """The energy of the signal's first difference per control step (float32: a long
    segment's control-rate sums are large), block by block, each block's first difference
    taken from the previous block's last sample."""
    changes = blocks.control_store(filtered)
    previous = np.zeros(1, dtype=np.float32)
    for _, block in filtered.blocks():
        changes.append(dsp.step_energies(np.diff(block, prepend=previous)).astype(np.float32))
        previous = block[-1:]
    return changes


def _in_float32(store: SampleStore) -> blocks.Reader:
    """A reader of ``store``'s values (nearest value beyond its ends) in single precision."""
    return lambda start, stop: store.nearest(start, stop).astype(np.float32)


def _sibilant(change: np.ndarray, weighted: np.ndarray) -> np.ndarray:
    """Where the first difference's mean energy is within SIBILANCE_RATIO_DB of the K-weighted
    mean energy, and the K-weighted energy is above an engine's silence."""
    sibilant: np.ndarray = change > weighted * np.float32(10 ** (SIBILANCE_RATIO_DB / 10))
    sibilant &= weighted > np.float32(dsp.CONTROL_STEP * 10 ** (PADDING_LEVEL_DBFS / 10))  # not engine silence
    return sibilant


def _overshoot(step_peaks: SampleStore, limit_db: float, steps: int) -> SampleStore:
    """dB by which the decoded file's true peaks exceed ``limit_db``, per control step of the
    levelled audio (``step_peaks``: see :func:`measure_decoded`), in a control-rate store."""
    over = SampleStore(step_peaks.block)
    for start in range(0, steps, over.block):
        with np.errstate(divide="ignore"):
            above = 20 * np.log10(np.maximum(step_peaks.read(start, min(start + over.block, steps)), 1e-9)) - limit_db
        over.append(np.maximum(above, 0.0))
    return over


def _lowered(cuts: SampleStore, over: SampleStore, rate: int) -> SampleStore:
    """``cuts`` lowered by ``over`` and PEAK_SAFETY_DB where the codec overshot, widened over
    the neighbouring ±50 ms, where the codec's frames reach."""
    wanted = SampleStore(over.block)
    for _, block in over.blocks():
        wanted.append(np.where(block > 0, block + PEAK_SAFETY_DB, 0.0))
    spread = blocks.widened(wanted, max(1, round(rate / dsp.CONTROL_STEP * CUT_WIDTH_SECONDS)) * 2 + 1)
    wanted.close()
    lowered = SampleStore(cuts.block)
    for (_, cut), (_, extra) in zip(cuts.blocks(), spread.blocks(), strict=True):
        lowered.append(cut - extra)
    spread.close()
    return lowered


def _turned_down(pcm: PcmBlocks, decibels: float) -> PcmBlocks:
    factor = np.float32(10 ** (-decibels / 20))
    return lambda: (dsp.to_pcm(dsp.to_float(block) * factor) for block in pcm())


def measure_decoded(encoded: bytes, profile: Profile, sample_rate: int, delay: int) -> tuple[Measured, SampleStore]:
    """Decode an encoded file's bytes (as a player would, to floats as the decoder makes them) and
    measure it in-process; also the true peak of every control step of the levelled audio, to
    find where the codec overshot (in a control-rate store: the decoder's output starts
    ``delay`` samples late; exact wherever it comes within reach of the profile's true-peak
    limit)."""
    size = blocks.block_samples(sample_rate)
    lead = -delay % dsp.CONTROL_STEP  # silence in front, so that the steps fall where the levelled audio's do
    shifted = SampleStore(size)
    shifted.append(np.zeros(lead, dtype=np.float32))
    weighting, state, hop_sums, length = dsp.k_weighting_sos(sample_rate), None, [], 0
    for samples in _decoded_blocks(encoded, profile, sample_rate, size):
        weighted, state = dsp.filter_sos_block(weighting, samples, state, sample_rate)
        hop_sums.append(dsp.sums_of_squares(weighted, sample_rate, per_step=False)[1])
        shifted.append(samples)
        length += len(samples)
    mean_squares = dsp.block_mean_squares(np.concatenate(hop_sums) if hop_sums else np.zeros(0), sample_rate)
    peaks = blocks.true_peaks(shifted, floor=10 ** ((profile.true_peak_dbtp - PEAK_SAFETY_DB) / 20))
    shifted.close()
    top = peaks.max()
    true_peak = 20 * math.log10(top) if top > 0 else -math.inf
    loudness = Loudness(round(dsp.integrated_loudness(mean_squares), 2), round(true_peak, 2))
    step_peaks = blocks.from_step(peaks, (delay + lead) // dsp.CONTROL_STEP)
    peaks.close()
    return Measured(loudness, mean_squares, length / sample_rate), step_peaks


def _decoded_blocks(encoded: bytes, profile: Profile, sample_rate: int, size: int) -> Iterator[np.ndarray]:
    """The decoded file, ``size`` samples at a time (float32, as the decoder makes them):
    libmpg123 decodes the bytes in memory (:mod:`pipeline.audio.mpg123`), or where it cannot be
    loaded libsndfile's mpg123 (see :func:`_in_memory_file`); ffmpeg reads them from a
    temporary file."""
    if _in_process(profile, sample_rate):
        if mpg123.available():
            yield from mpg123.decoded_blocks(encoded, sample_rate, size)
            return
        try:
            with _in_memory_file(encoded) as source, soundfile.SoundFile(source, closefd=False) as decoder:
                yield from _sequential_reads(decoder, size)
        except (soundfile.LibsndfileError, RuntimeError, OSError) as exc:
            raise AudioError(f"cannot decode the encoded segment: {exc}") from exc
        return
    with tempfile.TemporaryDirectory(prefix="pipeline-") as scratch:
        path, raw = Path(scratch) / f"encoded.{profile.extension}", Path(scratch) / "decoded.f32"
        path.write_bytes(encoded)
        command = [tool_path("ffmpeg"), "-hide_banner", "-nostats", "-v", "error", "-i", str(path),
                   "-f", "f32le", "-ac", "1", "-ar", str(sample_rate), str(raw)]  # fmt: skip
        _decoded(command, "decoding the encoded segment")
        with raw.open("rb") as handle:
            while block := handle.read(size * 4):
                yield np.frombuffer(block, dtype="<f4")


@contextlib.contextmanager
def _in_memory_file(data: bytes) -> Iterator[int | io.BytesIO]:
    """``data`` as a file for libsndfile to read: an anonymous in-memory file (``memfd``, Linux),
    which libsndfile reads with its own calls, or elsewhere a BytesIO, which it reads through
    Python callbacks, one per read of the decoder's (126,000 for the sample station's 36
    segments: decoding them in a cold build took 0.47-0.50 s of CPU that way, 0.44-0.45 s from
    a memfd, ``benchmarks/cold_stages.py``, three alternated pairs; the same samples)."""
    if not hasattr(os, "memfd_create"):
        yield io.BytesIO(data)
        return
    descriptor = os.memfd_create("encoded", os.MFD_CLOEXEC)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
        os.lseek(descriptor, 0, os.SEEK_SET)
        yield descriptor
    finally:
        os.close(descriptor)


def _sequential_reads(decoder: soundfile.SoundFile, size: int) -> Iterator[np.ndarray]:
    """The first channel of an open file, ``size`` frames at a time, read straight through.

    ``SoundFile.read`` asks for its position and seeks back to it around
    every call; for an MP3 each seek restarts mpg123 without the frames'
    bit reservoir (it says so on stderr), so reading in pieces through it
    gives other samples than reading the whole file at once. libsndfile's
    own sequential read (``sf_readf_float``, through soundfile's binding)
    gives exactly the whole-file samples, a piece at a time.
    """
    channels, remaining = decoder.channels, decoder.frames  # no more than a whole-file read returns
    while remaining > 0:
        wanted = min(size, remaining)
        buffer = np.empty((wanted, channels), dtype=np.float32)
        read = soundfile._snd.sf_readf_float(decoder._file, soundfile._ffi.from_buffer("float[]", buffer), wanted)
        if read <= 0:
            return
        remaining -= read
        yield np.ascontiguousarray(buffer[:read, 0])


def _in_process(profile: Profile, sample_rate: int) -> bool:
    """Whether LAME encodes and decodes in this process: a mono MP3 at the working rate.
    Anything that needs resampling or another container goes through ffmpeg."""
    return profile.codec == "mp3" and profile.channels == 1 and profile.sample_rate == sample_rate


def _decode_mp3(path: Path) -> np.ndarray:
    """An MP3 file decoded to float32 samples by libsndfile's mpg123 (ffmpeg's decoder and
    libmpg123's own, which the check uses where it can, give the same samples), unclipped: the
    decoder's own output, before any 16-bit conversion."""
    try:
        samples, _ = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError) as exc:
        raise AudioError(f"cannot decode {path.name}: {exc}") from exc
    return np.ascontiguousarray(samples[:, 0])


def encode(pcm: PcmBlocks, sample_rate: int, profile: Profile) -> bytes:
    """Mono 16-bit PCM (block by block) encoded with the profile's codec: by LAME in this
    process for a mono MP3 at the working rate (in memory: no file is made), otherwise by one
    ffmpeg pass over the PCM put in a temporary folder."""
    if _in_process(profile, sample_rate):
        return b"".join(_lame_frames(pcm(), profile))
    resample = []
    if profile.sample_rate != sample_rate:
        # ffmpeg's own resampler with a long filter: soxr's output differs from run to run,
        # which would break reproducible files.
        resample = ["-af", f"aresample={profile.sample_rate}:filter_size=64:phase_shift=12"]
    with tempfile.TemporaryDirectory(prefix="pipeline-") as scratch:
        raw, destination = Path(scratch) / "levelled.pcm", Path(scratch) / f"encoded.{profile.extension}"
        with raw.open("wb") as out:
            for block in pcm():
                out.write(block)
        command = [tool_path("ffmpeg"), "-hide_banner", "-nostats", "-v", "error", "-y",
                   "-f", "s16le", "-ar", str(sample_rate), "-ac", "1", "-i", str(raw),
                   *resample, *encoder_arguments(profile), str(destination)]  # fmt: skip
        checked_run(command, f"encoding a {profile.codec} file")
        return destination.read_bytes()


def check_in_process_codec() -> str:
    """Encode a second of tone with LAME and decode it as a build's check does;
    a description of both, or AudioError when either cannot (for ``pipeline doctor``)."""
    tone = np.sin(2 * np.pi * 440 * np.arange(WORKING_RATE) / WORKING_RATE).astype(np.float32) * np.float32(0.3)
    profile = Profile("check", "mp3", 32, WORKING_RATE, 1, -16.0, -1.5)
    encoded = _lame_encode(dsp.to_pcm(tone), profile)
    decoded = sum(len(block) for block in _decoded_blocks(encoded, profile, WORKING_RATE, WORKING_RATE))
    decoder = "libmpg123" if mpg123.available() else f"libsndfile {soundfile.__libsndfile_version__}"
    if decoded < WORKING_RATE:
        raise AudioError(f"{decoder} decoded less audio than LAME encoded")
    return f"LAME (lameenc {_version('lameenc')}), {decoder}"


def _version(package: str) -> str:
    import importlib.metadata  # for ``pipeline doctor`` only: a worker never needs it

    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "unknown version"


def _lame_encode(pcm: bytes, profile: Profile) -> bytes:
    """Mono 16-bit PCM to a constant-bitrate MP3 with LAME, set as ffmpeg's libmp3lame sets it
    (quality 3, no Xing/Info frame): the frames are identical to ffmpeg's."""
    return b"".join(_lame_frames(iter([pcm]), profile))


def _lame_frames(pcm: Iterator[bytes], profile: Profile) -> Iterator[bytes]:
    """:func:`_lame_encode` for PCM given block by block: LAME keeps what does not fill a frame
    for the next block, so the frames are the same as for the PCM given at once."""
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(profile.bitrate_kbps)
    encoder.set_in_sample_rate(profile.sample_rate)
    encoder.set_out_sample_rate(profile.sample_rate)
    encoder.set_channels(1)
    encoder.set_quality(LAME_QUALITY)
    try:
        for block in pcm:
            yield bytes(encoder.encode(block))
        yield bytes(encoder.flush())
    except RuntimeError as exc:
        raise AudioError(f"LAME could not encode: {exc}") from exc


def measure_file(path: Path) -> Loudness:
    """Loudness and true peak of an encoded file, as a listener's player decodes it."""
    command = [tool_path("ffmpeg"), "-hide_banner", "-nostats", "-v", "info", "-i", str(path),
               "-af", "ebur128=peak=true:framelog=verbose", "-f", "null", "-"]  # fmt: skip
    log = checked_run(command, f"measuring {path.name}").stderr.decode("utf-8", "replace")
    return _parse_ebur128(log)


def encoder_arguments(profile: Profile) -> list[str]:
    """ffmpeg output options for a profile: codec settings and nothing that identifies us."""
    common = ["-ar", str(profile.sample_rate), "-ac", str(profile.channels),
              "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact"]  # fmt: skip
    if profile.codec == "mp3":
        no_headers = ["-write_xing", "0", "-id3v2_version", "0", "-write_id3v1", "0"]
        return [
            "-c:a",
            "libmp3lame",
            "-b:a",
            f"{profile.bitrate_kbps}k",
            *common,
            *no_headers,
            "-f",
            "mp3",
        ]
    return ["-c:a", "pcm_s16le", *common, "-f", "wav"]


def _decoded(command: list[str], what: str) -> bytes:
    """ffmpeg's decoded samples; any complaint at level ``error`` fails the decode too."""
    result = checked_run(command, what)
    if result.stderr.strip():
        detail = result.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
        raise AudioError(f"ffmpeg failed {what}: {detail[0]}")
    return result.stdout


_SUMMARY_I = re.compile(r"I:\s+(-?[\d.]+|-inf) LUFS")
_SUMMARY_PEAK = re.compile(r"Peak:\s+(-?[\d.]+|-inf) dBFS")


def _parse_ebur128(log: str) -> Loudness:
    summary = log.rsplit("Summary:", 1)
    if len(summary) != 2:
        raise AudioError("ffmpeg printed no loudness summary")
    integrated = _SUMMARY_I.search(summary[1])
    peak = _SUMMARY_PEAK.search(summary[1])
    if not integrated or not peak:
        raise AudioError("cannot read ffmpeg's loudness summary")
    return Loudness(_to_float(integrated.group(1)), _to_float(peak.group(1)))


def _to_float(text: str) -> float:
    return -math.inf if text == "-inf" else float(text)
