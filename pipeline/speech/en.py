"""English normalisation: written English → text an English voice reads the way a newsreader would.

Entry point: :func:`english_pieces` (used by :func:`pipeline.speech.normalise`
and for English words inside Korean text). The passes run in this order:

1. tidy: full-width forms, quotes dropped, round brackets made pauses;
2. dates (March 21, 2022; 21 March 2022; 2022-03-21; Jan. 13) and clock times
   (10:30, 10 p.m.); telephone numbers;
3. the lexicon (Ms. → Miz, NASA → Nasa, translators' entries);
4. currencies ($4, US$6-7, $2.5 million), "No. 3";
5. numbers: ordinals (21st), decades (1990s), years (2022 → twenty twenty-two),
   ranges (2-3 → two to three), percentages, units (km), decimals, fractions,
   negatives, cardinals;
6. acronyms not in the lexicon letter by letter (BTS → B.T.S.), except in
   headlines written in capitals, where only the true acronyms of the data
   list (``acronyms`` in ``en_rules.yaml``) are spelled and the other words
   are read as words (:func:`unshout`);
7. symbols read as words (&, +, =) and everything unspeakable dropped.

Cardinals, years and ordinals come from num2words (lang="en"), corrected: it
writes British "and" and thousands commas ("one thousand, two hundred and
thirty-four"); a comma is a pause to a voice, and the station's English
voices are American, so both are removed. Decimals are read digit by digit as
written (num2words drops written trailing zeros).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal

from num2words import num2words

from pipeline.speech.charsets import fold_width
from pipeline.speech.lexicon import Lexicon
from pipeline.speech.pieces import Piece, finish, rewrite
from pipeline.speech.rules import alternation, load_rules

LANG = "en"
RULES = load_rules("en_rules")

NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_MONTH_NAMES = alternation([*RULES["months"], *RULES["month_abbreviations"]])
_ORDINAL_SUFFIX = r"(?:st|nd|rd|th)"
_AMPM = r"(?P<ampm>[ap])\.?\s?m\.?(?![A-Za-z])"

_DATE_MONTH_FIRST = re.compile(
    rf"\b(?P<month>{_MONTH_NAMES})\.?\s+(?P<day>\d{{1,2}}){_ORDINAL_SUFFIX}?\b"
    rf"(?:,?\s+(?P<year>\d{{4}})\b)?"
)
_DATE_DAY_FIRST = re.compile(
    rf"\b(?P<day>\d{{1,2}}){_ORDINAL_SUFFIX}?\s+(?:of\s+)?(?P<month>{_MONTH_NAMES})\b\.?"
    rf"(?:,?\s+(?P<year>\d{{4}})\b)?"
)
_DATE_NUMERIC = re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})\b")
_DATE_US = re.compile(r"\b(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})\b")
_MONTH_YEAR = re.compile(rf"\b(?P<month>{alternation(list(RULES['month_abbreviations']))})\.?\s+(?P<year>\d{{4}})\b")
_TIME = re.compile(rf"(?<![\d:])(?P<hour>[01]?\d|2[0-4]):(?P<minute>[0-5]\d)(?![\d:])(?:\s?{_AMPM})?")
_HOUR = re.compile(rf"(?<![\d:.])(?P<hour>1[0-2]|0?[1-9])\s?{_AMPM}")
_PHONE = re.compile(r"(?<![\d+])\+\d{1,3}(?:[ -]\d{1,4}){2,}(?![\d-])")
_CURRENCY = re.compile(
    rf"""
    (?<![A-Za-z0-9])
    (?P<sign>{alternation(list(RULES["currencies"]))})\s?
    (?P<a>{NUMBER})
    (?:\s?(?:[-–~]|\bto\b)\s?(?:{alternation(list(RULES["currencies"]))})?(?P<b>{NUMBER}))?
    (?:\s?(?P<scale>{alternation(list(RULES["scales"]))})\b)?
    """,
    re.VERBOSE,
)
_NUMBER_SIGN = re.compile(r"(?:\bNo\.|#)\s?(?=\d)")
_DECADE = re.compile(r"(?<![\w'’])(?P<century>\d\d)?(?P<tens>\d)0s\b")
_SHORT_DECADE = re.compile(r"(?<!\w)['’](?P<tens>\d)0s\b")
_ORDINAL = re.compile(rf"(?<![\w.,])(?P<n>\d+){_ORDINAL_SUFFIX}\b")
_UNITS = [unit for unit in RULES["units"] if unit != "%"]
_SCALE_WORDS = sorted(set(RULES["scales"].values()))  # the words: thousand, million... (not k, m, bn)
_NUMBER_EXPRESSION = re.compile(
    rf"""
    (?<![\w.,])
    (?P<about>~\s?)?
    (?P<sign>[-−](?=\d))?
    (?P<a>{NUMBER})
    (?:(?:-|\s?[–—~]\s?)(?P<b>{NUMBER}))?
    (?:/(?P<den>\d+)(?![\d/]))?
    (?:\s(?P<scale>{alternation(_SCALE_WORDS)})(?=\s?(?:%|(?:{alternation(_UNITS)})(?![\w]))))?
    (?:
        \s?(?P<percent>%)
      | (?:\s?|(?P<hyphen>-))(?P<unit>{alternation(_UNITS)})(?![\w])
    )?
    """,
    re.VERBOSE,
)
ACRONYMS = frozenset(RULES["acronyms"])
_LETTER_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_ACRONYM = re.compile(r"(?<![\w.&'’-])(?P<letters>[A-Z]{2,})(?P<plural>s|'s)?(?![\w&'’-])")
_QUOTES = re.compile(r"[“”„‟\"«»「」『』《》〈〉]|(?<![A-Za-z])['‘’]|['‘’](?![A-Za-z])")
_APOSTROPHE = re.compile(r"(?<=[A-Za-z])[’‘](?=[A-Za-z])")
_ROUND_BRACKETS = re.compile(r"\s*[()（）]\s*")
_SQUARE_BRACKETS = re.compile(r"[\[\]{}【】]")
_DASHES = re.compile(r"\s+[-–—―]+\s+|\s*[—―]+\s*")
_SYMBOLS = re.compile("|".join(re.escape(s) for s in RULES["symbols"]))
_SLASH_BETWEEN_WORDS = re.compile(r"(?<=[A-Za-z])/(?=[A-Za-z])")
_LEFTOVER_NUMBER = re.compile(NUMBER)
_UNSPEAKABLE = re.compile(r"[^\w\s.,?!;:…'-]|_")


def english_pieces(text: str, lexicon: Lexicon) -> list[Piece]:
    """Spoken pieces (all English) for English ``text``."""
    pieces = [Piece(unshout(_tidy(text), lambda word: lexicon.lookup(word) is not None))]
    for pattern, replace in (
        (_DATE_NUMERIC, _date),
        (_DATE_US, _date),
        (_DATE_MONTH_FIRST, _date),
        (_DATE_DAY_FIRST, _date_day_first),
        (_MONTH_YEAR, _month_year),
        (_TIME, _time),
        (_HOUR, _time),
        (_PHONE, _phone_number),
    ):
        pieces = rewrite(pieces, pattern, replace, LANG)
    if lexicon.pattern is not None:
        pieces = rewrite(pieces, lexicon.pattern, lambda m: _lexicon_word(lexicon, m), LANG)
    for pattern, replace in (
        (_CURRENCY, _currency),
        (_NUMBER_SIGN, lambda m: f"{RULES['number_word']} "),
        (_SHORT_DECADE, lambda m: _plural(cardinal(int(m.group("tens")) * 10))),
        (_DECADE, _decade),
        (_ORDINAL, lambda m: ordinal(int(m.group("n")))),
    ):
        pieces = rewrite(pieces, pattern, replace, LANG)
    pieces = _numbers_rewritten(pieces)
    pieces = rewrite(pieces, _ACRONYM, _acronym, LANG)
    return finish(pieces, _speakable, LANG)


def _numbers_rewritten(pieces: list[Piece]) -> list[Piece]:
    """The number pass, each match seeing the text after its piece as well (8GB before a word
    the lexicon has already spoken, microSD: see :func:`_before_a_noun`)."""
    rewritten: list[list[Piece]] = []
    following = ""
    for piece in reversed(pieces):  # the text after each piece, built up once from the end
        expression = functools.partial(_number_expression, following=following)
        rewritten.append(rewrite([piece], _NUMBER_EXPRESSION, expression, LANG))
        following = piece.text + following
    return [new for parts in reversed(rewritten) for new in parts]


def cardinal(number: int) -> str:
    """A whole number in words, American style (1234 → one thousand two hundred thirty-four)."""
    return _american(num2words(number))


def ordinal(number: int) -> str:
    """An ordinal in words (21 → twenty-first)."""
    return _american(num2words(number, to="ordinal"))


def year(number: int) -> str:
    """A year as people say it (2022 → twenty twenty-two, 2005 → two thousand five)."""
    return _american(num2words(number, to="year"))


def decimal(written: str) -> str:
    """A written number with commas or a decimal point (0.67 → zero point six seven)."""
    plain = written.replace(",", "")
    whole, _, fraction = plain.partition(".")
    reading = cardinal(int(whole or "0"))
    if fraction:
        digits = " ".join(RULES["digits"][int(d)] for d in fraction)
        reading = f"{reading} {RULES['decimal_point']} {digits}"
    return reading


def _american(words: str) -> str:
    return words.replace(",", "").replace(" and ", " ")


def _plural(words: str) -> str:
    head, _, last = words.rpartition(" ")
    last = last[:-1] + "ies" if last.endswith("y") else last + "s"
    return f"{head} {last}".strip()


def unshout(text: str, keep: Callable[[str], bool] = lambda word: False) -> str:
    """``text`` with each run of capitalised words ("SMALL RADIOS REACH THE NORTH") read as words.

    A run is ``shouted_run_words`` or more consecutive words of capitals with
    two letters or more (or two, when one is too long to be an acronym or is
    a word beside a listed acronym), with no lower-case word between them. In a run, a word of the data list of
    acronyms or one ``keep`` accepts (a lexicon entry) stays as written, to be
    spelled; every other word becomes "Small". Capitals standing alone in
    ordinary text (BTS, KCNA) are not touched: they are acronyms.
    """
    words = list(_LETTER_WORD.finditer(text))
    pieces: list[str] = []
    done = 0
    for run in _shouted_runs(words):
        for match in run:
            word = match.group()
            if len(word) < 2 or word in ACRONYMS or keep(word):
                continue
            pieces += [text[done : match.start()], word[0] + word[1:].lower()]
            done = match.end()
    return "".join([*pieces, text[done:]])


def _shouted_runs(words: list[re.Match[str]]) -> list[list[re.Match[str]]]:
    runs: list[list[re.Match[str]]] = [[]]
    for match in words:
        word = match.group()
        if word.isupper() and word.isascii():
            runs[-1].append(match)
        elif runs[-1]:
            runs.append([])
    return [run for run in runs if _is_shouted(run)]


def _is_shouted(run: list[re.Match[str]]) -> bool:
    """Three words of capitals or more; or two, one of them too long to be an acronym, or
    a listed acronym beside a word that reads as a word ("BBC NEWS")."""
    words = [match.group() for match in run if len(match.group()) >= 2]
    if len(words) >= RULES["shouted_run_words"]:
        return True
    if len(words) < 2:
        return False
    if max(map(len, words)) > RULES["acronym_max_letters"]:
        return True
    return any(word in ACRONYMS for word in words) and any(_reads_as_word(word) for word in words)


def _reads_as_word(word: str) -> bool:
    """Four letters or more with a vowel, and not a listed acronym (NEWS, but not KCNA)."""
    return word not in ACRONYMS and len(word) >= 4 and any(vowel in word for vowel in "AEIOU")


def _tidy(text: str) -> str:
    text = fold_width(unicodedata.normalize("NFC", text))
    text = _APOSTROPHE.sub("'", text)
    text = _QUOTES.sub("", text)
    text = _ROUND_BRACKETS.sub(", ", text)
    return _SQUARE_BRACKETS.sub("", text)


def _lexicon_word(lexicon: Lexicon, match: re.Match[str]) -> Piece | None:
    entry = lexicon.lookup(match.group())
    return Piece(entry.spoken, entry.lang) if entry else None


def _month_number(name: str) -> int:
    name = name.rstrip(".")
    if name in RULES["month_abbreviations"]:
        return RULES["month_abbreviations"][name]
    return RULES["months"].index(name) + 1


def _date(match: re.Match[str]) -> str | None:
    month = match.group("month")
    number = int(month) if month.isdigit() else _month_number(month)
    day = int(match.group("day"))
    if not (1 <= number <= 12 and 1 <= day <= 31):
        return None
    spoken = f"{RULES['months'][number - 1]} {ordinal(day)}"
    if match.group("year"):
        spoken += f", {year(int(match.group('year')))}"
    return spoken


def _date_day_first(match: re.Match[str]) -> str | None:
    number, day = _month_number(match.group("month")), int(match.group("day"))
    if not 1 <= day <= 31:
        return None
    spoken = f"the {ordinal(day)} of {RULES['months'][number - 1]}"
    if match.group("year"):
        spoken += f", {year(int(match.group('year')))}"
    return spoken


def _month_year(match: re.Match[str]) -> str:
    month = RULES["months"][_month_number(match.group("month")) - 1]
    return f"{month} {year(int(match.group('year')))}"


def _time(match: re.Match[str]) -> str:
    hour = int(match.group("hour"))
    minute = int(match.groupdict().get("minute") or 0)
    ampm = match.group("ampm")
    if minute == 0:
        spoken = cardinal(hour) if ampm else f"{cardinal(hour)} {RULES['oclock']}"
    elif minute < 10:
        spoken = f"{cardinal(hour)} oh {cardinal(minute)}"
    else:
        spoken = f"{cardinal(hour)} {cardinal(minute)}"
    return f"{spoken} {ampm.upper()}.M." if ampm else spoken


def _phone_number(match: re.Match[str]) -> str:
    groups = re.findall(r"\d+", match.group())
    return "plus " + ", ".join(" ".join(RULES["digits"][int(d)] for d in g) for g in groups)


def _currency(match: re.Match[str]) -> str:
    singular, plural = RULES["currencies"][match.group("sign")]
    a, b, scale = match.group("a"), match.group("b"), match.group("scale")
    if scale:
        scale_word = RULES["scales"][scale]
        amount = _range(decimal(a), decimal(b) if b else None, match)
        return f"{amount} {scale_word} {plural}"
    if b is None and "." in a and len(a.partition(".")[2]) == 2:
        return _dollars_and_cents(a, singular, plural)
    amount = _range(decimal(a), decimal(b) if b else None, match)
    one = b is None and Decimal(a.replace(",", "")) == 1
    return f"{amount} {singular if one else plural}"


def _dollars_and_cents(written: str, singular: str, plural: str) -> str:
    whole, cents = (int(part) for part in written.replace(",", "").split("."))
    cent_words = RULES["cents"][0 if cents == 1 else 1]
    if whole == 0:
        return f"{cardinal(cents)} {cent_words}"
    unit = singular if whole == 1 else plural
    if cents == 0:
        return f"{cardinal(whole)} {unit}"
    return f"{cardinal(whole)} {unit} and {cardinal(cents)} {cent_words}"


def _range(first: str, second: str | None, match: re.Match[str]) -> str:
    """One amount, or two as a range: 2014-2019 → twenty fourteen to twenty nineteen, and
    after "between", twenty fourteen and twenty nineteen."""
    if second is None:
        return first
    between = _AFTER_BETWEEN.search(match.string, 0, match.start()) is not None
    return f"{first} {RULES['range_after_between' if between else 'range_word']} {second}"


_AFTER_BETWEEN = re.compile(r"\bbetween\s+$", re.IGNORECASE)


def _decade(match: re.Match[str]) -> str:
    century = match.group("century")
    tens = int(match.group("tens")) * 10
    if century is None:
        return _plural(cardinal(tens))
    return _plural(year(int(century) * 100 + tens))


def _is_year(written: str) -> bool:
    low, high = RULES["year_range"]
    return written.isdigit() and len(written) == 4 and low <= int(written) <= high


def _amount(written: str, as_year: bool) -> str:
    if as_year:
        return year(int(written))
    if written.isdigit() and written.startswith("0") and len(written) > 1:
        return " ".join(RULES["digits"][int(d)] for d in written)
    return decimal(written)


def _number_expression(match: re.Match[str], following: str = "") -> str | list[Piece] | None:
    after = match.string[match.end() :]
    if re.match(r"[A-Za-z]", after) and not (match.group("percent") or match.group("unit")):
        return None  # part of a word or code (3D, MP3): read as written
    a, b = match.group("a"), match.group("b")
    if match.group("den") and not b:
        return _fraction(a, int(match.group("den")))
    if _year_before_a_code(match):
        return [Piece(year(int(a)), LANG), Piece(f" {match.group('unit')}")]  # In 2020 USD fell
    measured = bool(match.group("percent") or match.group("unit"))
    as_year = not measured and _is_year(a) and (b is None or _is_year(b) or len(b) == 2)
    spoken = _amount(a, as_year)
    if b is not None:
        second = b if not (as_year and len(b) == 2) else a[:2] + b  # 2014-15 → 2015
        spoken = _range(spoken, _amount(second, as_year), match)
    if match.group("sign"):
        spoken = f"{RULES['minus']} {spoken}"
    if match.group("about"):
        spoken = f"{RULES['about']} {spoken}"
    if match.group("scale"):
        spoken += f" {match.group('scale')}"  # 1.5 million km: only before a unit
    unit = "%" if match.group("percent") else match.group("unit")
    if unit:
        singular, plural = RULES["units"][unit]
        one = b is None and not match.group("scale") and Decimal(a.replace(",", "")) == 1
        describes = match.group("hyphen") or _before_a_noun(after + following)  # a 10-km walk
        spoken += f" {singular if one or describes else plural}"
    return spoken


_AMOUNT_WORDS = frozenset(RULES["unit_then_amount_words"])


def _before_a_noun(after: str) -> bool:
    """Whether the text after a number and unit goes on with the noun they describe (an 8GB
    card: the unit in the singular), not with a word that shows the amount stands alone (see
    ``unit_then_amount_words`` in the rules)."""
    if re.match(r"-[A-Za-z]", after):
        return True  # a 5 km-long road
    found = re.match(r"[ \t]+([A-Za-z][A-Za-z'’-]*)", after)
    if found is None:
        return False
    word = found.group(1).lower()
    if word in _AMOUNT_WORDS or word.endswith(("ly", "ing", "ed")):
        return False
    return not (word.endswith("er") and re.match(r"\s+than\b", after[found.end() :]))


_YEAR_PREPOSITION = re.compile(r"\b(?:in|since|until|till|during|before|after|by)\s+$", re.IGNORECASE)


def _year_before_a_code(match: re.Match[str]) -> bool:
    """A year after a preposition of time, followed by a currency code (In 2020 USD fell): the
    year is said as one, and the code as itself."""
    return (
        match.group("unit") in RULES["currencies"]
        and match.group("b") is None
        and _is_year(match.group("a"))
        and _YEAR_PREPOSITION.search(match.string, 0, match.start()) is not None
    )


def _fraction(written: str, denominator: int) -> str:
    """1/2 → one half, 3/4 → three quarters, 2/3 → two thirds; 1.5/2 → one point five over two."""
    if not written.isdigit() or denominator < 2:
        return f"{decimal(written)} {RULES['over']} {cardinal(denominator)}"
    numerator = int(written)
    special = RULES["fractions"].get(denominator)
    if special:
        name = special[0] if numerator == 1 else special[1]
    else:
        name = ordinal(denominator) if numerator == 1 else _plural(ordinal(denominator))
    return f"{cardinal(numerator)} {name}"


def _acronym(match: re.Match[str]) -> str | None:
    letters = match.group("letters")
    if len(letters) > RULES["acronym_max_letters"]:
        return None
    dotted = "".join(f"{letter}." for letter in letters)
    return f"{dotted}'s" if match.group("plural") else dotted


def _speakable(text: str) -> str:
    """What is still written after all passes, with symbols read and the unspeakable dropped."""
    text = _DASHES.sub(", ", text)
    text = _SLASH_BETWEEN_WORDS.sub(" or ", text)
    text = _SYMBOLS.sub(lambda m: f" {RULES['symbols'][m.group()]} ", text)
    text = text.replace("~", f" {RULES['about']} ")
    text = _LEFTOVER_NUMBER.sub(lambda m: f" {decimal(m.group())} ", text)
    return _UNSPEAKABLE.sub(" ", text)
