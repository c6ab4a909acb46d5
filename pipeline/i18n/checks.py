"""Speech-aware quality checks for translated catalogs.

Entry points: :func:`check_catalog` (findings for one catalog),
:func:`load_check_config` (``locales/checks.yaml``) and
:func:`load_glossary` (``locales/glossary.yaml``).

Each check has a name; a translator switches one off for a message with a
``#, no-check-<name>`` flag (or a ``# no-check-<name>`` translator comment,
which survives GNU msgmerge and msgcat where an unknown flag does not), and
the project changes its severity (``error``, ``warning`` or ``off``) under
``checks:`` in ``locales/checks.yaml``.
Findings print compiler-style::

    locales/ko/LC_MESSAGES/ep1.po:123: error[placeholders]: missing {station}

=============  ========  ====================================================
check          default   reports
=============  ========  ====================================================
placeholders   error     ``{name}`` / ``%(name)s`` sets differ from the source
plurals        error     plural forms differ from the header's ``nplurals``
untranslated   warning   no translation yet
blank          error     a translation of nothing but spaces
unchanged      error     the translation is the English text
fuzzy          warning   the translation is marked for review
numbers        error     a number of the source is missing (digits, words,
                         Korean units or native numerals), or the
                         translation writes one in digits the source lacks
whitespace     error     spaces or tabs at the start or end differ
newlines       error     the number of line breaks differs
spaces         error     two spaces in a row (not in the source)
brackets       error     a bracket is not closed, or closes nothing
quotes         error     quotation marks are not paired
control        error     control, bidirectional or invisible characters
latin          error     Latin-script words the lexicon cannot pronounce
unspeakable    error     URLs, e-mail addresses, markup
punctuation    warning   the sentence ends differently (CJK stops count)
sentences      warning   the number of sentences differs
length         both      spoken length over the budget (1.3×, a warning) or
                         over 1.6× the English (an error)
glossary       error     a glossary term not translated as the glossary says
=============  ========  ====================================================

Content checks (all but untranslated, blank and fuzzy) look only at
translations that will be spoken: translated and not fuzzy.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from babel.core import get_global

from pipeline.errors import Severity, SourceLocation, ValidationFailed, display_path
from pipeline.i18n.budget import BUDGET_RATIO, LIMIT_RATIO, budget_seconds, spoken_seconds
from pipeline.i18n.formats import PERCENT, brace_placeholders, placeholder_mismatch
from pipeline.i18n.merge import plural_count
from pipeline.i18n.numbers import added_numbers, number_is_said, source_numbers
from pipeline.i18n.pofile import PoEntry, PoFile
from pipeline.project.layout import CHECKS_FILE, lexicon_path
from pipeline.project.schema import Checker
from pipeline.project.station import Station
from pipeline.project.yamlsource import load_located
from pipeline.speech import Lexicon, unknown_latin_words
from pipeline.text.sentences import split_sentences

SEVERITIES: tuple[Severity | Literal["off"], ...] = ("error", "warning", "off")
FLAG_PREFIX = "no-check-"


@dataclass(frozen=True)
class Finding:
    """One problem in one message, printable as a compiler-style line."""

    path: str
    line: int
    severity: Severity
    check: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path  # line 0: the whole file
        return f"{where}: {self.severity}[{self.check}]: {self.message}"


@dataclass(frozen=True)
class LengthLimits:
    """Thresholds of the ``length`` check."""

    warn_ratio: float = BUDGET_RATIO
    error_ratio: float = LIMIT_RATIO
    min_excess_seconds: float = 1.0  # overruns shorter than this are never reported


@dataclass(frozen=True)
class CheckConfig:
    """Project-wide check settings: severity per check and the length thresholds."""

    severities: dict[str, Severity | Literal["off"]] = field(default_factory=dict)
    length: LengthLimits = LengthLimits()


@dataclass(frozen=True)
class GlossaryTerm:
    """A source term and how each language must render it."""

    term: str
    translations: dict[str, tuple[str, ...]]
    location: SourceLocation
    pattern: re.Pattern[str]


@dataclass
class CheckContext:
    """Everything a check needs besides the entry."""

    lang: str
    source_lang: str = "en"
    station: Station | None = None
    lexicon: Lexicon | None = None
    glossary: list[GlossaryTerm] = field(default_factory=list)
    config: CheckConfig = CheckConfig()
    nplurals: int = 2


Report = Callable[[str, Severity], None]  # (message, severity) -> None
CheckFunction = Callable[[PoEntry, CheckContext, Report], None]


# --------------------------------------------------------------------------- checks


def check_placeholders(entry: PoEntry, ctx: CheckContext, report: Report) -> None:
    """``{name}`` and ``%(name)s`` placeholders of every msgstr match the source."""
    for translation in entry.translations:
        problem = placeholder_mismatch(entry, translation)
        if problem:
            report(problem, "error")
            return


def check_plurals(entry: PoEntry, ctx: CheckContext, report: Report) -> None:
    """A plural entry has exactly nplurals translations."""
    if entry.msgid_plural is not None and len(entry.msgstr_plural) != ctx.nplurals:
        report(
            f"{len(entry.msgstr_plural)} plural forms, the header says nplurals={ctx.nplurals}",
            "error",
        )


def check_unchanged(entry: PoEntry, ctx: CheckContext, report: Report) -> None:
    """The translation is not simply the source text."""
    if any(ch.isalpha() for ch in entry.msgid) and entry.translations[0].strip() == entry.msgid:
        report("the translation is the same as the English text", "error")


def check_numbers(entry: PoEntry, ctx: CheckContext, report: Report) -> None:
    """Every number of the source is said in the translation, which adds none in digits."""
    source = _without_placeholders(entry.msgid, entry)
    numbers = source_numbers(source, ctx.source_lang)
    for translation in entry.translations:
        text = _without_placeholders(translation, entry)
        missing = [n.shown for n in numbers if not number_is_said("|".join(n.values), text, ctx.lang)]
        if missing:
            report(f"number {', '.join(missing)} of the source is missing", "error")
            return
        added = added_numbers(source, text, ctx.lang, ctx.source_lang)
        if added:
            report(f"number {', '.join(added)} is not in the source", "error")
            return


def check_whitespace(entry: PoEntry, ctx: CheckContext, report: Report) -> None:
    """Spaces and tabs at the ends as in the source: they reach transcripts and lyrics."""
    for translation in entry.translations:
        for end, strip in (("start", str.lstrip), ("end", str.rstrip)):
            source_space = _end_space(entry.msgid, strip)
            target_space = _end_space(translation, strip)
            if source_space != target_space:
                report(
                    f"whitespace at the {end}: {_describe_space(target_space)}, "
                    f"the source has {_describe_space(source_space)}",
                    "error",
                )
                return


def check_newlines(entry: PoEntry, ctx: CheckContext, report: Report) -> None:
    """As many line breaks as the source."""
    source = entry.msgid.count("\n")
    for translation in entry.translations:
        target = translation.count("\n")
        if target != source:
            report(f"{target} line break(s), the source has {source}", "error")
            return


def check_spaces(entry: PoEntry, ctx: CheckContext, report: Report) -> None:
    """No two spaces in a row inside the text (unless the source has them)."""
    if _DOUBLE_SPACE.search(entry.msgid.strip()):
        return
    for translation in entry.translations:
        if _DOUBLE_SPACE.search(translation.strip()):
            report("two spaces in a row", "error")
            return


def check_brackets(entry: PoEntry, ctx: CheckContext, report: Report) -> None:
    """Every bracket is closed, in order (braces belong to the placeholders check)."""
    if _bracket_problem(entry.msgid):
        return  # the source itself is unbalanced: nothing to compare with
    for translation in entry.translations:
        problem = _bracket_problem(translation)
        if problem:
            report(problem, "error")
            return


def check_quotes(entry: PoEntry, ctx: CheckContext, report: Report) -> None:
    """Quotation marks come in pairs: straight ones even, curly ones open and closed alike."""
    pairs = list(_QUOTE_PAIRS)
    if uses_latin_script(ctx.lang):
        pairs.remove(("‘", "’"))  # ’ is also the apostrophe there
    source_problem = _quote_problem(entry.msgid, pairs)
    for translation in entry.translations:
        problem = _quote_problem(translation, pairs)
        if problem and not source_problem:
            report(problem, "error")
            return


def check_control(entry: PoEntry, ctx: CheckContext, report: Report) -> None:
    """No control, bidirectional-override or invisible characters the source does not have."""
    allowed = set(entry.msgid) | {"\n"}
    if ctx.lang.split("_")[0].split("-")[0] in _RTL_LANGUAGES:
        allowed |= _RTL_MARKS
    for translation in entry.translations:
        for char in translation:
            if char not in allowed and _is_hidden_control(char):
                name = unicodedata.name(char, _CONTROL_NAMES.get(char, "control character"))
                report(f"invisible character U+{ord(char):04X} ({name}): remove it", "error")
                return


def check_latin(entry: PoEntry, ctx: CheckContext, report: Report) -> None:
    """No Latin-script word the pronunciation lexicon does not cover (non-Latin languages)."""
    if ctx.lexicon is None or uses_latin_script(ctx.lang):
        return
    text = _without_placeholders(" ".join(entry.translations), entry)
    text = _UNSPEAKABLE_ANY.sub(" ", text)
    words = list(dict.fromkeys(unknown_latin_words(text, ctx.lexicon)))
    if words:
        shown = ", ".join(f"'{w}'" for w in words)
        report(
            f"Latin letters the {ctx.lang} voice would read in another language: {shown} "
            f"(write them in the target script, or add them to {lexicon_path(Path(), ctx.lang).as_posix()})",
            "error",
        )


def check_unspeakable(entry: PoEntry, ctx: CheckContext, report: Report) -> None:
    """No URLs, e-mail addresses or markup: a voice would spell them out."""
    text = _without_placeholders(" ".join(entry.translations), entry)
    for kind, pattern in _UNSPEAKABLE:
        match = pattern.search(text)
        if match:
            report(f"{kind} cannot be spoken: '{match.group(0)}'", "error")
            return


def check_punctuation(entry: PoEntry, ctx: CheckContext, report: Report) -> None:
    """The translation ends like the source: a statement, a question, an exclamation."""
    source = _end_mark(entry.msgid)
    target = _end_mark(entry.translations[0])
    if source == target:
        return
    if source and not target:
        report(f"the source ends with '{source}', the translation has no end punctuation", "warning")
    elif target and not source:
        report(f"the translation ends with '{target}', the source does not", "warning")
    else:
        report(f"the source ends with '{source}', the translation with '{target}'", "warning")


def check_sentences(entry: PoEntry, ctx: CheckContext, report: Report) -> None:
    """As many sentences as the source (each is a pause in the audio)."""
    source = len(split_sentences(entry.msgid, ctx.source_lang))
    target = len(split_sentences(entry.translations[0], ctx.lang))
    if source != target:
        report(f"{target} sentence(s), the source has {source}", "warning")


def check_length(entry: PoEntry, ctx: CheckContext, report: Report) -> None:
    """The translation fits the time the English takes (see :mod:`pipeline.i18n.budget`)."""
    english = spoken_seconds(entry.msgid, ctx.source_lang, ctx.station)
    spoken = spoken_seconds(entry.translations[0], ctx.lang, ctx.station)
    if english <= 0:
        return
    limits = ctx.config.length
    ratio = spoken / english
    detail = (
        f"about {spoken:.1f} s spoken, {ratio:.2f}× the English {english:.1f} s "
        f"(budget {budget_seconds(english):.1f} s)"
    )
    if ratio > limits.error_ratio and spoken - english * limits.error_ratio >= (limits.min_excess_seconds):
        report(f"too long: {detail}; shorten it below {limits.error_ratio:g}×", "error")
    elif ratio > limits.warn_ratio and spoken - english * limits.warn_ratio >= (limits.min_excess_seconds):
        report(f"over budget: {detail}", "warning")


def check_glossary(entry: PoEntry, ctx: CheckContext, report: Report) -> None:
    """Glossary terms in the source appear in the translation as the glossary says."""
    translation = entry.translations[0]
    for term in ctx.glossary:
        wanted = term.translations.get(ctx.lang)
        if not wanted or not term.pattern.search(entry.msgid):
            continue
        if not any(choice in translation for choice in wanted):
            choices = " or ".join(f"'{w}'" for w in wanted)
            where = f"{term.location.path}:{term.location.line}"
            report(f"'{term.term}' must be translated as {choices} (glossary {where})", "error")


# Every check by name; None for the status checks decided in _check_entry.
CHECKS: dict[str, CheckFunction | None] = {
    "placeholders": check_placeholders,
    "plurals": check_plurals,
    "untranslated": None,
    "blank": None,
    "unchanged": check_unchanged,
    "fuzzy": None,
    "numbers": check_numbers,
    "whitespace": check_whitespace,
    "newlines": check_newlines,
    "spaces": check_spaces,
    "brackets": check_brackets,
    "quotes": check_quotes,
    "control": check_control,
    "latin": check_latin,
    "unspeakable": check_unspeakable,
    "punctuation": check_punctuation,
    "sentences": check_sentences,
    "length": check_length,
    "glossary": check_glossary,
}


def check_catalog(catalog: PoFile, ctx: CheckContext) -> list[Finding]:
    """Every finding for the active messages of ``catalog``, in line order."""
    ctx.nplurals = plural_count(catalog)
    findings: list[Finding] = []
    for entry in catalog.messages():
        findings.extend(_check_entry(catalog.path, entry, ctx))
    return sorted(findings, key=lambda f: (f.line, f.check))


def switched_off(entry: PoEntry) -> set[str]:
    """Checks turned off for one message: ``#, no-check-<name>`` flags, or the same words
    in a translator comment (GNU msgmerge and msgcat drop flags they do not know)."""
    words = list(entry.flags)
    for comment in entry.comments:
        if comment.strip().startswith(FLAG_PREFIX):
            words.extend(re.split(r"[,\s]+", comment.strip()))
    return {word[len(FLAG_PREFIX) :] for word in words if word.startswith(FLAG_PREFIX)}


def _check_entry(path: str, entry: PoEntry, ctx: CheckContext) -> Iterator[Finding]:
    line = entry.msgstr_line or entry.line
    disabled = switched_off(entry)
    found: list[tuple[str, Severity, str]] = []

    def run(name: str, function: CheckFunction) -> None:
        function(entry, ctx, lambda message, severity: found.append((name, severity, message)))

    for name in sorted(disabled - set(CHECKS)):
        found.append(("flags", "warning", f"unknown check '{name}' in '{FLAG_PREFIX}{name}'"))
    translations = entry.translations
    if not any(translations):
        found.append(("untranslated", "warning", "not translated yet"))
    elif any(not t.strip() for t in translations) and entry.translated:
        found.append(("blank", "error", "the translation is only spaces"))
    elif not entry.translated:
        found.append(("untranslated", "warning", "some plural forms are not translated"))
    elif entry.fuzzy:
        found.append(("fuzzy", "warning", "marked fuzzy: review it and remove the flag"))
    else:
        for name, function in CHECKS.items():
            if function is not None:
                run(name, function)
    for name, severity, message in found:
        configured = ctx.config.severities.get(name, severity)
        if name in disabled or configured == "off":
            continue
        yield Finding(path, line, configured, name, message)


# --------------------------------------------------------------------------- helpers

_UNSPEAKABLE = (
    ("an e-mail address", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("a web address", re.compile(r"\b(?:https?://|www\.)\S+|\b[\w-]+\.(?:com|org|net|kr|io)\b")),
    ("markup", re.compile(r"</?[A-Za-z][^<>]*>|&(?:[a-z]+|#\d+);|\*\*|__|`|\[[^\]]+\]\([^)]+\)")),
)
_UNSPEAKABLE_ANY = re.compile("|".join(f"(?:{p.pattern})" for _, p in _UNSPEAKABLE))
_CLOSERS = "\"'”’)]»」』）"
_END_MARKS = {".": ".", "。": ".", "．": ".", "?": "?", "？": "?", "!": "!", "！": "!", "…": "…"}
_DOUBLE_SPACE = re.compile(r"[ \u3000]{2}")
_BRACKETS = {"(": ")", "[": "]", "（": "）", "「": "」", "『": "』", "〈": "〉", "《": "》", "【": "】", "〔": "〕"}
_CLOSING = {close: open_ for open_, close in _BRACKETS.items()}
_QUOTE_PAIRS = (("“", "”"), ("‘", "’"))
_RTL_LANGUAGES = {"ar", "he", "fa", "ur", "ps", "yi", "dv", "sd", "ug", "ckb"}
_RTL_MARKS = {"\u200e", "\u200f", "\u061c"}
_CONTROL_NAMES = {"\0": "NUL", "\a": "BEL", "\b": "BACKSPACE", "\t": "TAB", "\r": "CARRIAGE RETURN", "\x1b": "ESCAPE"}
# Zero-width space, word joiner, BOM and soft hyphen, then the bidirectional controls.
# The zero-width joiners (U+200C, U+200D) are left alone: Persian and Indic spelling needs them.
_INVISIBLE = set("\u200b\u2060\ufeff\u00ad") | set(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)


def _end_space(text: str, strip: Callable[[str, str], str]) -> str:
    """The spaces and tabs at one end of ``text`` (line breaks are the newlines check's)."""
    spaces = " \t\u3000\u00a0"
    kept = strip(text, spaces)
    return text[: len(text) - len(kept)] if strip is str.lstrip else text[len(kept) :]


def _describe_space(space: str) -> str:
    return repr(space) if space else "none"


def _bracket_problem(text: str) -> str:
    stack: list[str] = []
    for char in text:
        if char in _BRACKETS:
            stack.append(char)
        elif char in _CLOSING:
            if not stack or stack[-1] != _CLOSING[char]:
                return f"unbalanced brackets: '{char}' closes nothing"
            stack.pop()
    return f"unbalanced brackets: '{stack[-1]}' is not closed" if stack else ""


def _quote_problem(text: str, pairs: list[tuple[str, str]]) -> str:
    if text.count('"') % 2:
        return "unbalanced quotation marks: an odd number of '\"'"
    for opening, closing in pairs:
        if text.count(opening) != text.count(closing):
            return (
                f"unbalanced quotation marks: {text.count(opening)} '{opening}' and {text.count(closing)} '{closing}'"
            )
    return ""


def _is_hidden_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc" or char in _INVISIBLE


def uses_latin_script(lang: str) -> bool:
    """True when ``lang`` is normally written in Latin letters (CLDR likely subtags)."""
    likely = get_global("likely_subtags").get(lang.replace("-", "_").split("_")[0], "")
    return "_Latn" in likely or not likely


def _without_placeholders(text: str, entry: PoEntry) -> str:
    """``text`` without its format placeholders, which are never read out as written."""
    if brace_placeholders(text):
        text = re.sub(r"\{[^{}]*\}", " ", text)
    named = r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrs]"
    if PERCENT in entry.flags:
        named = r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[hlL]?[diouxXeEfFgGcrs]"
    return re.sub(named, " ", text)


def _end_mark(text: str) -> str:
    stripped = text.rstrip().rstrip(_CLOSERS).rstrip()
    return _END_MARKS.get(stripped[-1:], "") if stripped else ""


# --------------------------------------------------------------------------- config


def load_check_config(root: Path) -> CheckConfig:
    """``locales/checks.yaml`` if present; every mistake is reported with file:line."""
    path = root / CHECKS_FILE
    if not path.exists():
        return CheckConfig()
    document = load_located(path, display_path(path, root))
    check = Checker(document)
    data = check.mapping((), document.data or {}, optional=("checks", "length")) or {}
    severities: dict[str, Severity | Literal["off"]] = {}
    table = check.mapping(("checks",), data.get("checks", {}), optional=CHECKS, what="check")
    for name, value in (table or {}).items():
        if name in CHECKS:
            value = "off" if value is False else value  # YAML reads a bare 'off' as false
            chosen = check.choice(("checks", name), value, SEVERITIES)
            if chosen:
                severities[name] = chosen
    length = _length_limits(check, data.get("length", {}))
    if check.problems:
        raise ValidationFailed(check.problems)
    return CheckConfig(severities, length)


def _length_limits(check: Checker, value: Any) -> LengthLimits:
    defaults = LengthLimits()
    keys = ("warn_ratio", "error_ratio", "min_excess_seconds")
    table = check.mapping(("length",), value, optional=keys) or {}
    bounds = {"warn_ratio": (1, 5), "error_ratio": (1, 5), "min_excess_seconds": (0, 60)}
    values = {}
    for key, (low, high) in bounds.items():
        number = check.number(("length", key), table.get(key, getattr(defaults, key)), low, high)
        values[key] = float(number if number is not None else getattr(defaults, key))
    if values["error_ratio"] < values["warn_ratio"]:
        check.fail(("length", "error_ratio"), f"must not be below warn_ratio ({values['warn_ratio']:g})")
    return LengthLimits(**values)


def load_glossary(path: Path, root: Path | None = None) -> list[GlossaryTerm]:
    """The glossary's terms; a missing file is an empty glossary."""
    if not path.exists():
        return []
    document = load_located(path, display_path(path, root))
    check = Checker(document)
    data = check.mapping((), document.data or {}, optional=("terms",)) or {}
    items = check.sequence(("terms",), data.get("terms", []), allow_empty=True) or []
    terms = []
    for i, item in enumerate(items):
        entry = check.table(("terms", i), item)
        if entry is None:
            continue
        if "term" not in entry:
            check.fail(("terms", i), "missing key 'term'")
            continue
        term = check.string(("terms", i, "term"), entry["term"])
        translations: dict[str, tuple[str, ...]] = {}
        for lang, value in entry.items():
            if lang in ("term", "note"):
                continue
            choices = value if isinstance(value, list) else [value]
            texts = [check.string(("terms", i, lang), choice) for choice in choices]
            if all(texts):
                translations[lang] = tuple(t for t in texts if t)
        if term:
            pattern = re.compile(rf"(?<!\w){re.escape(term)}(?!\w)", re.IGNORECASE)
            terms.append(GlossaryTerm(term, translations, document.at(("terms", i)), pattern))
    if check.problems:
        raise ValidationFailed(check.problems)
    return terms
