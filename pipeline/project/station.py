"""The station: ``scripts_src/station.yaml`` loaded into typed, validated settings.

Entry point: :func:`load_station`. It checks everything at once and raises
:class:`~pipeline.errors.ValidationFailed` listing every problem. The station
declares the languages, the voice for each language and role (and whether it
is given Korean respelled as pronounced: ``pronounce``), the speaking rates
used for duration estimates, the pauses heard (``sentence``, ``segment_end``,
``between_voices``), the output profiles, and how speech normalisation treats
Latin words it does not know (``speech:``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from babel import Locale, UnknownLocaleError

from pipeline.audio.mp3frames import LAYER3_BITRATES, SAMPLE_RATES
from pipeline.errors import SourceLocation, ValidationFailed, display_path
from pipeline.project.layout import STATION_FILE
from pipeline.project.schema import Checker
from pipeline.project.yamlsource import KeyPath, LocatedDocument, load_located

Codec = Literal["mp3", "wav"]
CODECS: tuple[Codec, ...] = ("mp3", "wav")


def as_codec(value: object) -> Codec:
    """``value`` as a codec name; ValueError when it names none."""
    for codec in CODECS:
        if value == codec:
            return codec
    raise ValueError(f"unknown codec {value!r}")


BACKENDS = ("pyttsx3", "espeak-ng")
DEFAULT_BACKEND = "pyttsx3"
RATE_UNITS = {"words_per_minute": "words", "syllables_per_minute": "syllables"}
# What the Korean normaliser does with a Latin word no lexicon entry or acronym rule covers.
ENGLISH_VOICE = "english-voice"  # a separate part read by the English voice of the same role
TRANSLITERATE = "transliterate"  # spelled out in Hangul and read by the Korean voice
UNKNOWN_LATIN_POLICIES = (ENGLISH_VOICE, TRANSLITERATE)
LATIN_ROUTING_LANGUAGES = ("ko",)  # languages whose normaliser routes Latin words elsewhere
# What a voice is given: text respelled by the standard pronunciation rules, or as written
# (for a voice that applies the rules itself). Only Korean has such rules (pipeline.speech.pronounce).
PRONOUNCE_STANDARD = "standard"
PRONOUNCE_AS_WRITTEN = "as-written"
PRONOUNCE_SETTINGS = (PRONOUNCE_STANDARD, PRONOUNCE_AS_WRITTEN)
PRONOUNCING_LANGUAGES = ("ko",)

# MPEG audio Layer III: legal sample rates and bitrates per MPEG version.
MP3_MPEG1_RATES = tuple(sorted(SAMPLE_RATES["1"]))
MP3_MPEG2_RATES = tuple(sorted(SAMPLE_RATES["2"]))
MP3_MPEG25_RATES = tuple(sorted(SAMPLE_RATES["2.5"]))
MP3_MPEG1_BITRATES = LAYER3_BITRATES["1"]
MP3_MPEG2_BITRATES = LAYER3_BITRATES["2"]
WAV_RATES = (8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000)
FILTER_PARAMS: dict[str, dict[str, tuple[float, float]]] = {
    "highpass": {"frequency": (20, 2000)},
    # With stop_frequency, an elliptic filter at least stop_db down from there on; without, 4th-order Butterworth.
    "lowpass": {"frequency": (1000, 20000), "stop_frequency": (1000, 20000), "stop_db": (20, 100)},
    "compressor": {
        "threshold_db": (-60, 0),
        "ratio": (1, 20),
        "attack_ms": (0.01, 2000),
        "release_ms": (0.01, 9000),
        "makeup_db": (0, 36),
    },
    "limiter": {"ceiling_db": (-12, 0)},
}


@dataclass(frozen=True)
class VoiceSpec:
    """Which engine and voice speak one role in one language, and how."""

    backend: str
    voice: str | None
    rate: int
    volume: float
    location: SourceLocation
    pronounce: str = PRONOUNCE_AS_WRITTEN  # PRONOUNCE_STANDARD: respelled as pronounced first


@dataclass(frozen=True)
class SpeakingRate:
    """Average speaking rate used to estimate durations from text."""

    unit: str  # "words" or "syllables"
    per_minute: float


@dataclass(frozen=True)
class Pauses:
    """Silences, in seconds, that the audio stage inserts."""

    sentence: float = 0.35
    segment_end: float = 1.0
    between_voices: float = 0.12  # between the parts of one sentence read by different voices


@dataclass(frozen=True)
class AudioFilter:
    """One named processing step of a profile, with its numeric settings."""

    kind: str
    settings: tuple[tuple[str, float], ...]

    def get(self, name: str, default: float) -> float:
        """A setting's value, or ``default`` when the profile does not give it."""
        return dict(self.settings).get(name, default)


@dataclass(frozen=True)
class Profile:
    """How audio is encoded for one kind of target (players, radio playout)."""

    name: str
    codec: Codec
    bitrate_kbps: int | None
    sample_rate: int
    channels: int
    loudness_lufs: float
    true_peak_dbtp: float
    filters: tuple[AudioFilter, ...] = ()
    lead_in: float = 0.0  # seconds of silence before the first sound of every file
    lead_out: float = 0.0  # ... and after the last

    @property
    def extension(self) -> str:
        """File extension of this profile's files."""
        return self.codec


@dataclass(frozen=True)
class SpeechSettings:
    """How speech normalisation treats one language (``speech.<lang>`` in station.yaml)."""

    unknown_latin: str = ENGLISH_VOICE


EPISODE_ORDERS = ("newest-first", "oldest-first")


@dataclass(frozen=True)
class CardOrder:
    """The order of a card's folders (``card:`` in station.yaml): players play them in the
    order they were written."""

    languages: tuple[str, ...] = ()  # language folders first to last (empty: the station's order)
    episodes: str = "newest-first"  # by the episode's date, then its id


@dataclass(frozen=True)
class Station:
    """Everything ``station.yaml`` declares."""

    name: str
    source_language: str
    languages: tuple[str, ...]
    voices: dict[str, dict[str, VoiceSpec]]
    speaking_rates: dict[str, SpeakingRate]
    pauses: Pauses
    default_profile: str
    profiles: dict[str, Profile]
    path: str
    name_line: int = 1
    extra: dict[str, Any] = field(default_factory=dict)
    speech: dict[str, SpeechSettings] = field(default_factory=dict)
    card: CardOrder = field(default_factory=CardOrder)

    @property
    def roles(self) -> tuple[str, ...]:
        """Every voice role the station defines, in a stable order."""
        seen: dict[str, None] = {}
        for by_role in self.voices.values():
            seen.update(dict.fromkeys(by_role))
        return tuple(seen)

    def voice(self, lang: str, role: str) -> VoiceSpec:
        """The configured voice for ``lang`` and ``role``."""
        return self.voices[lang][role]

    def respells(self, lang: str) -> bool:
        """True when some voice of ``lang`` is given text respelled as pronounced."""
        return any(spec.pronounce == PRONOUNCE_STANDARD for spec in self.voices.get(lang, {}).values())

    def speech_settings(self, lang: str) -> SpeechSettings:
        """Speech normalisation settings for ``lang`` (the defaults when not configured)."""
        return self.speech.get(lang, SpeechSettings())


def load_station(project: Path) -> Station:
    """Read and validate ``scripts_src/station.yaml`` under ``project``."""
    path = project / STATION_FILE
    document = load_located(path, display_path(path, project))
    return StationReader(document).read()


class StationReader:
    """Validates one station document; collects every problem before failing."""

    TOP_REQUIRED = ("name", "source_language", "languages", "voices", "profiles")
    TOP_OPTIONAL = ("default_profile", "speaking_rate", "pauses", "speech", "card")

    def __init__(self, document: LocatedDocument) -> None:
        self.doc = document
        self.check = Checker(document)

    def read(self) -> Station:
        """The validated station; raises ValidationFailed on any problem."""
        data = self.check.mapping((), self.doc.data, self.TOP_REQUIRED, self.TOP_OPTIONAL) or {}
        name = self.check.string(("name",), data.get("name")) if "name" in data else None
        source = self._language(("source_language",), data.get("source_language"))
        languages = self._languages(data.get("languages"))
        voices = self._voices(data.get("voices"), languages)
        rates = self._rates(data.get("speaking_rate", {}), languages)
        pauses = self._pauses(data.get("pauses", {}))
        profiles = self._profiles(data.get("profiles"))
        speech = self._speech(data.get("speech", {}), languages)
        card = self._card(data.get("card", {}), languages)
        default_profile = data.get("default_profile", "player")
        if profiles and default_profile not in profiles:
            self.check.choice(("default_profile",), default_profile, profiles)
        if self.check.problems:
            raise ValidationFailed(self.check.problems)
        return Station(
            name=name or "",
            source_language=source or "en",
            languages=tuple(languages),
            voices=voices,
            speaking_rates=rates,
            pauses=pauses,
            default_profile=default_profile,
            profiles=profiles,
            path=self.doc.path,
            name_line=self.doc.line_of(("name",)),
            extra={"speech": data.get("speech", {})},
            speech=speech,
            card=card,
        )

    def _language(self, path: KeyPath, value: Any) -> str | None:
        code = self.check.string(path, value)
        if code is None:
            return None
        try:
            Locale.parse(code)
        except (UnknownLocaleError, ValueError):
            self.check.fail(path, f"unknown language code {code!r}")
            return None
        return code

    def _languages(self, value: Any) -> list[str]:
        items = self.check.sequence(("languages",), value) or []
        codes = [self._language(("languages", i), item) for i, item in enumerate(items)]
        result: list[str] = []
        for i, code in enumerate(codes):
            if code in result:
                self.check.fail(("languages", i), f"language '{code}' is listed twice")
            elif code:
                result.append(code)
        return result

    def _voices(self, value: Any, languages: list[str]) -> dict[str, dict[str, VoiceSpec]]:
        table = self.check.mapping(("voices",), value, required=languages, what="language")
        if not table:
            return {}
        voices: dict[str, dict[str, VoiceSpec]] = {}
        for lang in languages:
            roles = self.check.table(("voices", lang), table.get(lang, {}))
            if roles is None:
                continue
            if not roles:
                self.check.fail(("voices", lang), "no voice roles defined")
            voices[lang] = {}
            for role, spec in roles.items():
                parsed = self._voice(("voices", lang, role), spec, lang)
                if parsed:
                    voices[lang][role] = parsed
        all_roles = {role for by_role in voices.values() for role in by_role}
        for lang, by_role in voices.items():
            for role in sorted(all_roles - set(by_role)):
                self.check.fail(("voices", lang), f"no voice for role '{role}'")
        return voices

    def _voice(self, path: KeyPath, value: Any, lang: str) -> VoiceSpec | None:
        spec = self.check.mapping(path, value, optional=("backend", "voice", "rate", "volume", "pronounce"))
        if spec is None:
            return None
        backend = self.check.choice((*path, "backend"), spec.get("backend", DEFAULT_BACKEND), BACKENDS)
        voice = spec.get("voice")
        if voice is not None:
            voice = self.check.string((*path, "voice"), voice)
        rate = self.check.number((*path, "rate"), spec.get("rate", 160), 60, 450, integer=True)
        volume = self.check.number((*path, "volume"), spec.get("volume", 1.0), 0.05, 2.0)
        pronounce = self._pronounce((*path, "pronounce"), spec, lang)
        if backend is None or rate is None or volume is None:
            return None
        return VoiceSpec(backend, voice, int(rate), float(volume), self.doc.at(path), pronounce)

    def _pronounce(self, path: KeyPath, spec: dict[str, Any], lang: str) -> str:
        """``standard`` (the default for languages with pronunciation rules) or ``as-written``;
        a bad value is recorded as a problem (and the default returned)."""
        has_rules = lang.split("-")[0] in PRONOUNCING_LANGUAGES
        default = PRONOUNCE_STANDARD if has_rules else PRONOUNCE_AS_WRITTEN
        setting = self.check.choice(path, spec.get("pronounce", default), PRONOUNCE_SETTINGS)
        if setting == PRONOUNCE_STANDARD and not has_rules:
            self.check.fail(path, f"has no effect for '{lang}': only Korean has pronunciation rules (use as-written)")
        return setting or default

    def _rates(self, value: Any, languages: list[str]) -> dict[str, SpeakingRate]:
        table = self.check.mapping(("speaking_rate",), value, optional=languages, what="language")
        rates = {lang: default_speaking_rate(lang) for lang in languages}
        for lang, spec in (table or {}).items():
            path = ("speaking_rate", lang)
            entry = self.check.mapping(path, spec, optional=RATE_UNITS)
            if not entry:
                continue
            if len(entry) != 1:
                self.check.fail(path, "give exactly one of words_per_minute, syllables_per_minute")
                continue
            ((key, amount),) = entry.items()
            number = self.check.number((*path, key), amount, 10, 2000)
            if number is not None:
                rates[lang] = SpeakingRate(RATE_UNITS[key], float(number))
        return rates

    def _pauses(self, value: Any) -> Pauses:
        table = self.check.mapping(("pauses",), value, optional=("sentence", "segment_end", "between_voices")) or {}
        defaults = Pauses()
        sentence = self.check.number(("pauses", "sentence"), table.get("sentence", defaults.sentence), 0, 10)
        end = self.check.number(("pauses", "segment_end"), table.get("segment_end", defaults.segment_end), 0, 30)
        voices = self.check.number(
            ("pauses", "between_voices"), table.get("between_voices", defaults.between_voices), 0, 2
        )
        return Pauses(sentence or 0.0, end or 0.0, voices or 0.0)

    def _card(self, value: Any, languages: list[str]) -> CardOrder:
        table = self.check.mapping(("card",), value, optional=("languages", "episodes")) or {}
        order = self._codes(("card", "languages"), table.get("languages", []))
        for i, code in enumerate(order):
            if code not in languages:
                self.check.fail(("card", "languages", i), f"'{code}' is not a station language")
        rest = [code for code in languages if code not in order]
        episodes = self.check.choice(("card", "episodes"), table.get("episodes", "newest-first"), EPISODE_ORDERS)
        return CardOrder(tuple(dict.fromkeys([*order, *rest])), episodes or "newest-first")

    def _codes(self, path: KeyPath, value: Any) -> list[str]:
        items = self.check.sequence(path, value, allow_empty=True) or []
        return [code for i, item in enumerate(items) if (code := self.check.string((*path, i), item))]

    def _speech(self, value: Any, languages: list[str]) -> dict[str, SpeechSettings]:
        table = self.check.mapping(("speech",), value, optional=languages, what="language") or {}
        settings: dict[str, SpeechSettings] = {}
        for lang, spec in table.items():
            path = ("speech", lang)
            entry = self.check.mapping(path, spec, optional=("unknown_latin",))
            if entry is None or lang not in languages:
                continue
            policy = entry.get("unknown_latin", ENGLISH_VOICE)
            if "unknown_latin" in entry and lang not in LATIN_ROUTING_LANGUAGES:
                self.check.fail(
                    (*path, "unknown_latin"),
                    f"has no effect for '{lang}': its own voice reads Latin words",
                )
                continue
            if self.check.choice((*path, "unknown_latin"), policy, UNKNOWN_LATIN_POLICIES):
                settings[lang] = SpeechSettings(policy)
        return settings

    def _profiles(self, value: Any) -> dict[str, Profile]:
        table = self.check.table(("profiles",), value)
        profiles: dict[str, Profile] = {}
        for name, spec in (table or {}).items():
            if self.check.slug(("profiles", name), name) is None:
                continue
            profile = ProfileReader(self.check, ("profiles", name)).read(name, spec)
            if profile:
                profiles[name] = profile
        if table is not None and not table:
            self.check.fail(("profiles",), "at least one output profile is needed")
        return profiles


class ProfileReader:
    """Validates one output profile, refusing codec settings players cannot play."""

    KEYS = ("codec", "bitrate", "sample_rate", "channels", "loudness", "true_peak", "filters", "lead_in", "lead_out")
    PLAYOUT_LEAD_SECONDS = 0.5  # default lead-in and lead-out of WAV (playout) profiles; MP3 profiles have none

    def __init__(self, check: Checker, path: KeyPath) -> None:
        self.check = check
        self.path = path

    def read(self, name: str, value: Any) -> Profile | None:
        """The validated profile, or None after recording problems."""
        spec = self.check.mapping(self.path, value, required=("codec", "sample_rate"), optional=self.KEYS)
        if spec is None:
            return None
        before = len(self.check.problems)
        codec = self.check.choice((*self.path, "codec"), spec.get("codec"), CODECS)
        rate: Any = spec["sample_rate"]  # required: present once spec is not None
        bitrate = spec.get("bitrate")
        if codec == "mp3":
            self._mp3_settings(rate, bitrate)
        elif codec == "wav":
            if rate not in WAV_RATES:
                legal = ", ".join(str(r) for r in WAV_RATES)
                self.check.fail((*self.path, "sample_rate"), f"WAV cannot use {rate!r} Hz (legal: {legal})")
            if bitrate is not None:
                self.check.fail((*self.path, "bitrate"), "WAV is uncompressed PCM: remove 'bitrate'")
        channels = self.check.number((*self.path, "channels"), spec.get("channels", 1), 1, 2, integer=True)
        loudness = self.check.number((*self.path, "loudness"), spec.get("loudness", -16), -40, -5)
        peak = self.check.number((*self.path, "true_peak"), spec.get("true_peak", -1.5), -12, 0)
        filters = self._filters(spec.get("filters", []))
        lead = self.PLAYOUT_LEAD_SECONDS if codec == "wav" else 0.0
        lead_in = self.check.number((*self.path, "lead_in"), spec.get("lead_in", lead), 0, 10)
        lead_out = self.check.number((*self.path, "lead_out"), spec.get("lead_out", lead), 0, 10)
        if len(self.check.problems) == before:
            self._filter_frequencies(filters, int(rate))
        if len(self.check.problems) != before:
            return None
        return Profile(
            name=name,
            codec=codec or "mp3",
            bitrate_kbps=int(bitrate) if bitrate is not None else None,
            sample_rate=int(rate),
            channels=int(channels or 1),
            loudness_lufs=float(loudness or -16),
            true_peak_dbtp=float(peak if peak is not None else -1.5),
            filters=filters,
            lead_in=float(lead_in or 0.0),
            lead_out=float(lead_out or 0.0),
        )

    def _filter_frequencies(self, filters: tuple[AudioFilter, ...], rate: int) -> None:
        """A low-pass must sit below half the sample rate and above any high-pass."""
        path = (*self.path, "filters")
        highpass = max((f.get("frequency", 0) for f in filters if f.kind == "highpass"), default=0)
        for i, audio_filter in enumerate(filters):
            if audio_filter.kind != "lowpass":
                continue
            frequency = audio_filter.get("frequency", 0)
            where = (*path, i, "lowpass", "frequency")
            if frequency >= rate / 2:
                self.check.fail(
                    where,
                    f"{frequency:g} Hz is not below half the sample rate ({rate / 2:g} Hz)",
                )
            elif frequency <= highpass:
                self.check.fail(where, f"{frequency:g} Hz must be above the high-pass ({highpass:g} Hz)")
            stop = audio_filter.get("stop_frequency", 0)
            if stop and stop <= frequency:
                self.check.fail(
                    (*path, i, "lowpass", "stop_frequency"),
                    f"{stop:g} Hz must be above the pass band's edge ({frequency:g} Hz)",
                )

    def _mp3_settings(self, rate: Any, bitrate: Any) -> None:
        rate_path, bitrate_path = (*self.path, "sample_rate"), (*self.path, "bitrate")
        if bitrate is None:
            self.check.fail(self.path, "missing key 'bitrate' (MP3 profiles are constant bitrate)")
            return
        if rate in MP3_MPEG25_RATES:
            legal = ", ".join(str(r) for r in (*MP3_MPEG2_RATES, *MP3_MPEG1_RATES))
            self.check.fail(
                rate_path,
                f"{rate} Hz is an MPEG-2.5 rate that many players cannot play (legal: {legal})",
            )
            return
        if rate not in (*MP3_MPEG1_RATES, *MP3_MPEG2_RATES):
            legal = ", ".join(str(r) for r in (*MP3_MPEG2_RATES, *MP3_MPEG1_RATES))
            self.check.fail(rate_path, f"MP3 cannot use {rate!r} Hz (legal: {legal})")
            return
        mpeg1 = rate in MP3_MPEG1_RATES
        legal_bitrates = MP3_MPEG1_BITRATES if mpeg1 else MP3_MPEG2_BITRATES
        if bitrate not in legal_bitrates:
            version = "MPEG-1" if mpeg1 else "MPEG-2"
            self.check.fail(
                bitrate_path,
                f"{version} Layer III at {rate} Hz has no {bitrate!r} kbps "
                f"(legal: {', '.join(str(b) for b in legal_bitrates)})",
            )

    def _filters(self, value: Any) -> tuple[AudioFilter, ...]:
        path = (*self.path, "filters")
        items = self.check.sequence(path, value, allow_empty=True) or []
        filters = []
        for i, item in enumerate(items):
            entry = self.check.mapping((*path, i), item, optional=FILTER_PARAMS, what="filter")
            if not entry or len(entry) != 1:
                if entry is not None and len(entry) != 1:
                    self.check.fail((*path, i), "each filter is one mapping like '- highpass: {frequency: 100}'")
                continue
            ((kind, settings),) = entry.items()
            if kind not in FILTER_PARAMS:
                continue
            params = FILTER_PARAMS[kind]
            table = self.check.mapping((*path, i, kind), settings or {}, optional=params, what="setting") or {}
            values = []
            for key, amount in table.items():
                if key in params:
                    low, high = params[key]
                    number = self.check.number((*path, i, kind, key), amount, low, high)
                    if number is not None:
                        values.append((key, float(number)))
            filters.append(AudioFilter(kind, tuple(values)))
        return tuple(filters)


def default_speaking_rate(lang: str) -> SpeakingRate:
    """A reasonable newsreader pace for languages the station does not tune."""
    if lang in ("ko", "ja", "zh"):
        return SpeakingRate("syllables", 300.0)
    return SpeakingRate("words", 150.0)
