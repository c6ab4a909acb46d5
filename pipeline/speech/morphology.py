"""Korean morphemes for the pronunciation rules: where each morpheme starts and ends, and what it is.

Entry points: :func:`analyse` (text → :class:`Morpheme` spans) and
:func:`analyser_files` (what identifies the analyser's version, for cache
fingerprints). Several standard-pronunciation rules depend on morphology: the
adnominal ending -ㄹ (할 것 → 할 껃), verb stems before endings (신고 → 신꼬),
compounds (솜이불 → 솜니불, 겉옷 → 거돋) and grammatical versus lexical
morphemes (값이 → 갑씨). The analyser is MeCab with the mecab-ko dictionary,
loaded the first time a sentence needs it, so a build whose sentences are
all in the speech-text store never imports it.

Why this analyser (measured on this machine, Debian, Python 3.11, 2 cores):

- ``python-mecab-ko`` 1.3.7 (BSD-3-Clause) with ``python-mecab-ko-dic``
  2.1.1.post2 (Apache-2.0): both pip wheels (manylinux cp311, and a pure
  dictionary wheel), no network at run time, nothing written outside the
  venv. Import and dictionary load 43 ms; 0.02-0.4 ms a sentence
  (``python -c 'import mecab, time; …'`` over 14 test sentences). Its
  dictionary marks compounds with their parts (솜이불 = 솜 + 이불,
  콧물 = 콧 + 물) and inflected forms with their morphemes (할 = 하 + ㄹ).
- ``kiwipiepy`` 0.24.1 (LGPL-3.0): its model, ``kiwipiepy-model`` 0.24.0, is
  published only as an 88 MB source archive (``pip download
  --only-binary=:all: kiwipiepy-model==0.24.0`` finds nothing), so it does
  not install from wheels.
- Ready-made converters were measured on 31 hard items before this module was
  written: ``ko-speech-tools[g2p]`` carries sounds across spaces
  (파일을 넣습니다 → 파이를 러씀니다), the g2pk family needs NLTK data or pip at
  run time, ``hangulpy`` misses ㄴ 첨가 and Sino-Korean tensing, and
  ``kornorm`` has no open-source licence and writes a 1.1 GB dictionary into
  site-packages. The rules themselves are therefore the project's
  (:mod:`pipeline.speech.pronounce`), over this analyser's morphemes.
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import ToolMissing

ANALYSER_PACKAGES = {"mecab": "python_mecab_ko", "mecab_ko_dic": "python_mecab_ko_dic"}  # module: distribution
_RIEUL_ENDING_STARTS = ("ᆯ", "을", "ㄹ")  # how mecab-ko writes an ending that begins with -(으)ㄹ


@dataclass(frozen=True)
class Morpheme:
    """One morpheme (or an inflected form the dictionary keeps whole) of the analysed text.

    ``start``/``end`` are character offsets; ``tags`` are Sejong part-of-speech
    tags, several for a fused form (할 = VV + ETM). ``rieul_ending`` is the
    offset of the syllable whose final ㄹ begins an ending in -(으)ㄹ (the
    adnominal 할, 먹을, or 할수록, 갈지), or -1.
    """

    start: int
    end: int
    tags: tuple[str, ...]
    rieul_ending: int = -1

    @property
    def first_tag(self) -> str:
        """The tag of the morpheme's beginning."""
        return self.tags[0]

    @property
    def last_tag(self) -> str:
        """The tag of the morpheme's end."""
        return self.tags[-1]


def analyse(text: str) -> list[Morpheme]:
    """The morphemes of ``text`` in order; text the analyser skips (spaces) is between them.

    A token that cannot be found where the analyser says it is ends the
    analysis: what follows is left without morphemes (the rules then treat it
    by sound alone).
    """
    morphemes: list[Morpheme] = []
    cursor = 0
    for token in _tagger().parse(text):
        surface = token.surface
        start = text.find(surface, cursor)
        if not surface or start < 0:
            break
        morphemes.extend(_morphemes(token, start))
        cursor = start + len(surface)
    return morphemes


def _morphemes(token: Any, start: int) -> list[Morpheme]:
    surface: str = token.surface
    feature = token.feature
    end = start + len(surface)
    parts = _parts(feature.expression)
    if feature.type == "Compound" and parts and "".join(form for form, _ in parts) == surface:
        spans = []
        offset = start
        for form, tag in parts:
            # the parts of a proper noun are a name (서울시, 서울대), whatever each part is alone
            spans.append(Morpheme(offset, offset + len(form), ("NNP",) if feature.pos == "NNP" else (tag,)))
            offset += len(form)
        return spans
    tags = tuple(feature.pos.split("+"))
    return [Morpheme(start, end, tags, _rieul_ending(surface, start, parts or [(surface, tags[-1])]))]


def _parts(expression: str | None) -> list[tuple[str, str]]:
    """``하/VV/*+ᆯ수록/EC/*`` → [('하', 'VV'), ('ᆯ수록', 'EC')]."""
    if not expression:
        return []
    parts = []
    for item in expression.split("+"):
        fields = item.split("/")
        if len(fields) >= 2 and fields[0]:
            parts.append((fields[0], fields[1]))
    return parts


def _rieul_ending(surface: str, start: int, parts: list[tuple[str, str]]) -> int:
    """Where the syllable with the ㄹ of an -(으)ㄹ ending is, counted from the end of the form."""
    for index, (form, tag) in enumerate(parts):
        if not tag.startswith("E") or not form.startswith(_RIEUL_ENDING_STARTS):
            continue
        rest = form[1:] + "".join(following for following, _ in parts[index + 1 :])
        position = len(surface) - len(rest) - 1
        if 0 <= position < len(surface):
            return start + position
    return -1


@functools.cache
def _tagger() -> Any:
    try:
        import mecab  # the analyser is loaded only when a sentence needs it (43 ms)
    except ImportError as exc:
        raise ToolMissing(
            "Korean pronunciation needs the mecab-ko analyser: pip install python-mecab-ko python-mecab-ko-dic "
            "(or set 'pronounce: as-written' on the Korean voices in station.yaml)"
        ) from exc
    return mecab.MeCab()


def analyser_files() -> list[Path]:
    """Files that identify the installed analyser and dictionary versions, found without
    importing them: each package's ``__init__.py`` and its distribution's METADATA."""
    files: list[Path] = []
    for package, distribution in ANALYSER_PACKAGES.items():
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            continue
        init = Path(spec.origin)
        files.append(init)
        files.extend(sorted(init.parent.parent.glob(f"{distribution}-*.dist-info/METADATA")))
    return files
