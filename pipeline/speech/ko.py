"""Korean normalisation: written Korean → text a Korean voice reads the way a newsreader would.

Entry points: :func:`korean_pieces` (used by :func:`pipeline.speech.normalise`)
and :func:`unknown_latin_words`. The passes run in this order, each on the text
the earlier ones left written:

1. tidy: full-width forms, quotes dropped, brackets made pauses, hanja variants;
2. the lexicon (``UN`` → 유엔, ``K-pop`` → 케이팝, translators' entries);
3. hanja → Hangul; telephone numbers; dates (2022-03-21); clock times (10:30);
4. currencies written before the amount ($4, US$6~7, €5);
5. numbers with what follows them: counters (native 두 명, 세 시, 스무 살;
   Sino-Korean elsewhere), 만/억/조 units, ranges, decimals, fractions,
   percentages, units (km, kg), ordinals (제1, 1번째, 2째), negatives;
6. Latin words: acronyms letter by letter (ABC → 에이비씨), other words read
   by the English voice as their own chunk or transliterated into Hangul;
7. symbols read as words (&, +, №) and everything unspeakable dropped.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass, field

from pipeline.project.station import ENGLISH_VOICE, TRANSLITERATE
from pipeline.speech import hangul
from pipeline.speech import ko_numbers as num
from pipeline.speech.charsets import ASCII_ALNUM, HANGUL, fold_width
from pipeline.speech.en import english_pieces
from pipeline.speech.hanja import HANJA_RUN, hanja_to_hangul
from pipeline.speech.lexicon import Lexicon, builtin_lexicon
from pipeline.speech.loanwords import letters_in_hangul, transliterate
from pipeline.speech.pieces import Piece, finish, rewrite
from pipeline.speech.rules import alternation, load_rules

LANG = "ko"
RULES = load_rules("ko_rules")

NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
DASH = r"[~\-–—]"
_BIG_UNITS = "".join(RULES["big_units"])
_COUNTERS = alternation(
    [
        *RULES["native_counters"],
        *RULES["sino_counters"],
        *RULES["mixed_above_99"],
        *RULES["repeated_in_ranges"],
    ]
)
_LATIN_UNITS = [u for u in RULES["units"] if len(u) == 1 and u.isascii() and u.isalpha()]
_OTHER_UNITS = [u for u in RULES["units"] if u not in _LATIN_UNITS]
_PARTICLES = frozenset(RULES["particles"])
_PARTICLE_FORMS = {form: tuple(pair) for pair in RULES["particle_pairs"] for form in pair}

_NUMBER_EXPRESSION = re.compile(
    rf"""
    (?<![{ASCII_ALNUM}.,_\-])
    (?P<ordinal>(?<![{HANGUL}])제[ ]?)?
    (?P<sign>[-−](?=\d))?
    (?P<a>{NUMBER})
    (?P<unit_a>%p?(?=[ ]?{DASH}[ ]?\d))?
    (?:[ ]?(?P<dash>{DASH})[ ]?(?P<b>{NUMBER}))?
    (?:/(?P<den>\d+)(?![\d/]))?
    (?P<big>[{_BIG_UNITS}]+)?
    (?P<more>{RULES["more_than"]}(?=[ ]?[{HANGUL}]))?
    (?:
        (?P<percent>%p?)
      | [ ]?(?P<unit>{alternation(_OTHER_UNITS)})
      | (?P<latin_unit>{alternation(_LATIN_UNITS)})(?![{ASCII_ALNUM}])
      | (?P<suffix>st|nd|rd|th)(?![A-Za-z])
      | [ ]?(?P<counter>{_COUNTERS})
    )?
    """,
    re.VERBOSE,
)
_CURRENCY = re.compile(
    rf"""
    (?<![{ASCII_ALNUM}])
    (?P<sign>{alternation(list(RULES["currencies"]))})[ ]?
    (?P<a>{NUMBER})
    (?:[ ]?{DASH}[ ]?(?:{alternation(list(RULES["currencies"]))})?(?P<b>{NUMBER}))?
    (?:(?P<big>[{_BIG_UNITS}]+)|[ ](?P<scale>million|billion|trillion)\b)?
    """,
    re.VERBOSE,
)
_SCALES = {"million": 6, "billion": 9, "trillion": 12}
_DATE = re.compile(r"(?<![\d.])(\d{4})([-./])[ ]?(\d{1,2})\2[ ]?(\d{1,2})\.?(?![\d])")
_TIME = re.compile(r"(?<![\d:])([01]?\d|2[0-4]):([0-5]\d)(?::([0-5]\d))?(?![\d:])")
_WRITTEN_FRACTION = re.compile(r"(?<![\d.,])(\d+)분의[ ]?(\d+(?:\.\d+)?)(?![\d])")
# 3:1, and a score or ratio written with 대 (7대3, 1 대 1; not 2대 3명: a counter then a number)
_RATIO = re.compile(r"(?<![\d:.,])(\d+)(?::|대|[ ]대[ ])(\d+)(?![\d:.,])")
_PHONE = re.compile(r"(?<![\d+])(?:\+\d{1,3}(?:[ -]\d{1,4}){2,}|0\d{1,2}-\d{3,4}-\d{4})(?![\d-])")
_LATIN_WORD = r"(?:[A-Za-z]\.){2,}|[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*(?:['’\-&.][A-Za-z0-9]+)*"
_LATIN_RUN = re.compile(rf"(?<![{ASCII_ALNUM}])(?:{_LATIN_WORD})(?:[ ]+(?:{_LATIN_WORD}))*")
_LATIN_WORD_RE = re.compile(_LATIN_WORD)
_HANGUL_RUN = re.compile(f"[{HANGUL}]+")

_QUOTES = re.compile(r"[“”„‟\"«»「」『』《》〈〉]|(?<![A-Za-z])['‘’]|['‘’](?![A-Za-z])")
_OPEN_BRACKETS = re.compile(r"[(\[{（【〔]")
_CLOSE_BRACKETS = re.compile(r"[)\]}）】〕]")
_WORD_SEPARATORS = re.compile(r"[·ㆍ•‧∙|\\_*^`]")
_COMPAT_HANJA = re.compile("[\uf900-\ufaff]")
_TILDE_BETWEEN_WORDS = re.compile(rf"(?<=[{HANGUL}])\s*~\s*(?=[{HANGUL}])")
_DASHES = re.compile(r"\s*[–—―]+\s*")
_SYMBOLS = re.compile("|".join(re.escape(s) for s in RULES["symbols"]))
_LEFTOVER_NUMBER = re.compile(NUMBER)
_ALREADY_BELOW_ZERO = re.compile(f"{RULES['below_zero']}[ ]?$")  # 영하 -5도: say 영하 once
_UNSPEAKABLE = re.compile(r"[^\w\s.,?!;:…]|_")


@dataclass
class KoreanReading:
    """One run of the Korean passes: the pieces and the Latin words no rule covered."""

    lexicon: Lexicon
    unknown_latin: str = ENGLISH_VOICE
    english_lexicon: Lexicon | None = None  # for words the English voice reads (built-in if None)
    unknown: list[str] = field(default_factory=list)

    def pieces(self, text: str) -> list[Piece]:
        """``text`` as spoken pieces (Korean, and English where a word is routed there)."""
        pieces = [Piece(_tidy(text))]
        pieces = rewrite(pieces, _CURRENCY, _currency, LANG)
        if self.lexicon.pattern is not None:
            pieces = rewrite(pieces, self.lexicon.pattern, self._lexicon_word, LANG)
        pieces = rewrite(pieces, HANJA_RUN, lambda m: hanja_to_hangul(m.group()), LANG)
        pieces = rewrite(pieces, _PHONE, _phone_number, LANG)
        pieces = rewrite(pieces, _DATE, _date, LANG)
        pieces = rewrite(pieces, _TIME, _time, LANG)
        pieces = rewrite(pieces, _RATIO, _ratio, LANG)
        pieces = rewrite(pieces, _WRITTEN_FRACTION, _written_fraction, LANG)
        pieces = rewrite(pieces, _NUMBER_EXPRESSION, _number_expression, LANG)
        pieces = rewrite(pieces, _LATIN_RUN, self._latin_run, LANG)
        return finish(agree_particles(pieces), _speakable, LANG)

    def _lexicon_word(self, match: re.Match[str]) -> Piece | None:
        entry = self.lexicon.lookup(match.group())
        return Piece(entry.spoken, entry.lang) if entry else None

    def _latin_run(self, match: re.Match[str]) -> list[Piece]:
        """Words of one run of Latin text; neighbouring unknown words are read together."""
        readings = [(word, self._latin_word(word)) for word in _LATIN_WORD_RE.findall(match.group())]
        parts: list[list[Piece]] = []
        for unknown, group in itertools.groupby(readings, key=lambda item: item[1] is None):
            if unknown:
                words = [word for word, _ in group]
                self.unknown.extend(words)
                parts.append(self._unknown_words(words))
            else:
                parts.extend([reading] for _, reading in group if reading is not None)
        pieces: list[Piece] = []
        for part in parts:
            if pieces:
                pieces.append(Piece(" ", LANG))
            pieces.extend(part)
        return pieces

    def _latin_word(self, word: str) -> Piece | None:
        """A known reading of one Latin word, or None when no rule covers it."""
        entry = self.lexicon.lookup(word)
        if entry is not None:
            return Piece(entry.spoken, entry.lang)
        reading = letters_in_hangul(word, RULES["acronym_max_letters"])
        return Piece(reading, LANG) if reading is not None else None

    def _unknown_words(self, words: list[str]) -> list[Piece]:
        if self.unknown_latin == TRANSLITERATE:
            return [Piece(" ".join(transliterate(word) for word in words), LANG)]
        return english_pieces(" ".join(words), self.english_lexicon or builtin_lexicon("en"))


def korean_pieces(
    text: str,
    lexicon: Lexicon,
    unknown_latin: str = ENGLISH_VOICE,
    english_lexicon: Lexicon | None = None,
) -> list[Piece]:
    """Spoken pieces for Korean ``text``."""
    return KoreanReading(lexicon, unknown_latin, english_lexicon).pieces(text)


def unknown_latin_words(text: str, lexicon: Lexicon) -> list[str]:
    """Latin words in Korean ``text`` that neither ``lexicon`` nor the acronym rule covers.

    Each word is listed once, in order of first appearance.
    """
    reading = KoreanReading(lexicon)
    reading.pieces(text)
    return list(dict.fromkeys(reading.unknown))


def agree_particles(pieces: list[Piece]) -> list[Piece]:
    """Particles after spoken Korean agree with its last syllable (유엔을, 자유아시아방송을)."""
    result = list(pieces)
    for i in range(1, len(result)):
        before, piece = result[i - 1], result[i]
        if before.lang != LANG or not piece.written:
            continue
        run = _HANGUL_RUN.match(piece.text)
        ending = re.search(f"[{HANGUL}]$", before.text)
        if run is None or ending is None or run.group() not in _PARTICLE_FORMS:
            continue
        particle = _particle_after(ending.group(), run.group())
        result[i] = Piece(particle + piece.text[run.end() :])
    return result


def _particle_after(syllable: str, particle: str) -> str:
    after_consonant, after_vowel = _PARTICLE_FORMS[particle]
    final = hangul.final_consonant(syllable)
    if not final or (final == "ㄹ" and after_consonant.startswith("으")):
        return after_vowel
    return after_consonant


def _tidy(text: str) -> str:
    text = _COMPAT_HANJA.sub(lambda m: hanja_to_hangul(m.group()), text)
    text = fold_width(unicodedata.normalize("NFC", text))
    text = _QUOTES.sub("", text)
    text = _OPEN_BRACKETS.sub(" ", text)
    text = _CLOSE_BRACKETS.sub(_closing_bracket, text)
    return _WORD_SEPARATORS.sub(" ", text)


def _closing_bracket(match: re.Match[str]) -> str:
    """Nothing before a particle (통신(KCNA)은 → 통신 KCNA은), else a space."""
    following = match.string[match.end() : match.end() + 1]
    return "" if following and _HANGUL_RUN.match(following) else " "


def _phone_number(match: re.Match[str]) -> str:
    written = match.group()
    groups = re.findall(r"\d+", written)
    reading = ", ".join(num.code_digits(group) for group in groups)
    return f"{RULES['symbols']['+']} {reading}" if written.startswith("+") else reading


def _date(match: re.Match[str]) -> str | None:
    year, _, month, day = match.groups()
    if not (1 <= int(month) <= 12 and 1 <= int(day) <= 31):
        return None
    return " ".join(
        (
            num.counted(int(year), RULES["year"]),
            num.counted(int(month), RULES["month"]),
            num.counted(int(day), RULES["day"]),
        )
    )


def _time(match: re.Match[str]) -> str:
    hour, minute, second = match.groups()
    parts = [num.counted(int(hour), RULES["hour"])]
    if int(minute) or second:
        parts.append(num.counted(int(minute), RULES["minute"]))
    if second and int(second):
        parts.append(num.counted(int(second), RULES["second"]))
    return " ".join(parts)


def _ratio(match: re.Match[str]) -> str:
    first, second = match.groups()
    return f"{num.decimal(first)} {RULES['ratio_word']} {num.decimal(second)}"


def _written_fraction(match: re.Match[str]) -> str:
    """4분의 1 → 사분의 일 (the denominator joined to 분의, as it is said)."""
    denominator, numerator = match.groups()
    return RULES["fraction"].format(den=num.decimal(denominator), num=num.decimal(numerator))


def _currency(match: re.Match[str]) -> str:
    words = RULES["currencies"][match.group("sign")]
    if match.group("scale"):
        power = _SCALES[match.group("scale")]
        amount = _range(
            num.sino(num.scaled(match.group("a"), power)),
            num.sino(num.scaled(match.group("b"), power)) if match.group("b") else None,
        )
    else:
        amount = _plain_range(match.group("a"), match.group("b"), None) + (match.group("big") or "")
    before = f"{words['before']} " if "before" in words else ""
    return f" {before}{amount} {words['after']}"


def _range(first: str, second: str | None) -> str:
    return first if second is None else f"{first}{RULES['range_word']} {second}"


def _plain_range(a: str, b: str | None, counter: str | None) -> str:
    """``a`` (or the range ``a``~``b``) as numerals for ``counter``, without the counter."""
    if b is not None and _is_whole(a) and _is_whole(b):
        joined = num.approximate(_whole(a), _whole(b), counter)
        if joined is not None:
            return joined
    return _range(_numeral(a, counter), _numeral(b, counter) if b is not None else None)


def _neighbours(a: str, b: str, counter: str | None) -> bool:
    return num.approximate(_whole(a), _whole(b), counter) is not None


def _numeral(written: str, counter: str | None) -> str:
    if not _is_whole(written):
        return num.decimal(written)
    if counter:
        return num.numeral_for(_whole(written), counter)
    if written.startswith("0") and len(written) > 1:
        return num.code_digits(written)
    return num.sino(_whole(written))


def _is_whole(written: str) -> bool:
    return "." not in written


def _whole(written: str) -> int:
    return int(written.replace(",", ""))


def _number_expression(match: re.Match[str]) -> str | None:
    after = match.string[match.end() :]
    if re.match("[A-Za-z]", after):
        return None  # part of a Latin word or code (5G, 3D): the Latin pass reads it
    if match.group("den") and not match.group("b"):
        return _fraction(match)
    if match.group("ordinal"):
        return _ordinal(match)
    counter = match.group("counter")
    if match.group("suffix"):
        counter = "번째"
    spoken = _counted_numbers(match, counter)
    if match.group("sign") and not _ALREADY_BELOW_ZERO.search(match.string[: match.start()]):
        spoken = f"{_sign_word(match)} {spoken}"
    spoken += _unit_words(match)
    unit = match.group("unit") or match.group("latin_unit")
    if unit in RULES["unit_prefixes"]:
        spoken = f"{RULES['unit_prefixes'][unit]} {spoken}"
    if not (counter or match.group("unit") or match.group("latin_unit") or match.group("percent")):
        spoken += _space_before(after)
    return spoken


def _counted_numbers(match: re.Match[str], counter: str | None) -> str:
    a, b, big = match.group("a"), match.group("b"), match.group("big") or ""
    if big or match.group("more"):  # 600만 명, 10여 명: Sino-Korean before 만 or 여
        spoken = _plain_range(a, b, None) + big if b else _big(a, big)
        spoken += match.group("more") or ""
        return f"{spoken} {counter}" if counter else spoken
    if match.group("unit_a") and b:
        percent = _percent_word(match.group("unit_a"))
        return _range(f"{_numeral(a, None)} {percent}", _numeral(b, None))
    if counter is None:
        return _plain_range(a, b, None)
    repeated = counter in RULES["repeated_in_ranges"]
    if b is not None and repeated and _is_whole(a + b) and not _neighbours(a, b, counter):
        return _range(num.counted(_whole(a), counter), num.counted(_whole(b), counter))
    if b is None and _is_whole(a):
        return num.counted(_whole(a), counter)
    return f"{_plain_range(a, b, counter)} {counter}"


def _big(written: str, units: str) -> str:
    """A number before 만/억/천 … (600만 → 육백만, 1만 → 만, 1억 → 일억)."""
    if _is_whole(written) and _whole(written) == 1 and units[:1] in ("만", "천", "백"):
        return units
    return _numeral(written, None) + units


def _ordinal(match: re.Match[str]) -> str:
    prefix = RULES["ordinal_prefix"]
    # 제3조 (article 3): the letter after the number is the counter, not 조 as a trillion
    reading = f"{prefix}{_plain_range(match.group('a'), match.group('b'), None)}{match.group('big') or ''}"
    counter = match.group("counter")
    if counter:
        reading += f" {counter}"
    reading += _unit_words(match)
    return reading if counter else reading + _space_before(match.string[match.end() :])


def _fraction(match: re.Match[str]) -> str:
    reading = RULES["fraction"].format(den=num.decimal(match.group("den")), num=num.decimal(match.group("a")))
    if match.group("sign"):
        reading = f"{RULES['minus']} {reading}"
    counter = match.group("counter")
    return reading + (f" {counter}" if counter else "") + _unit_words(match)


def _sign_word(match: re.Match[str]) -> str:
    """영하 for temperatures below zero (-5℃, -5도), 마이너스 otherwise."""
    unit = match.group("unit") or ""
    if RULES["units"].get(unit) == "도" or match.group("counter") == "도":
        return RULES["below_zero"]
    return RULES["minus"]


def _unit_words(match: re.Match[str]) -> str:
    if match.group("percent"):
        return f" {_percent_word(match.group('percent'))}"
    unit = match.group("unit") or match.group("latin_unit")
    if not unit:
        return ""
    return f" {RULES['units'][unit]}"


def _percent_word(written: str) -> str:
    return RULES["percent_point"] if written == "%p" else RULES["percent"]


def _space_before(after: str) -> str:
    """A space when a Hangul noun follows the number (743킬로미터); none before a particle."""
    run = _HANGUL_RUN.match(after)
    return " " if run and run.group() not in _PARTICLES else ""


def _speakable(text: str) -> str:
    """What is still written after all passes, with symbols read and the unspeakable dropped."""
    text = _TILDE_BETWEEN_WORDS.sub(f"{RULES['range_word']} ", text)
    text = _DASHES.sub(", ", text)
    text = _SYMBOLS.sub(lambda m: f" {RULES['symbols'][m.group()]} ", text)
    text = text.replace("~", " ").replace("-", " ").replace("/", " ")
    text = _LEFTOVER_NUMBER.sub(lambda m: f" {num.decimal(m.group())} ", text)
    return _UNSPEAKABLE.sub(" ", text)
