"""Character classes the normalisers and lexicons share (regular-expression fragments).

Entry points: the constants and :func:`fold_width`.
"""

from __future__ import annotations

import re
import unicodedata

HANGUL = "가-힣"  # precomposed Hangul syllables
HANJA = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef"
ASCII_ALNUM = "A-Za-z0-9"

_FULL_WIDTH = re.compile("[\uff01-\uff5e]")
_SPACES = re.compile("[\u00a0\u2000-\u200b\u202f\u205f\u3000]")
_TILDES = re.compile("[\u223c\uff5e\u301c]")  # ∼ ～ 〜 → ~
_HYPHENS = re.compile("[\u2010\u2011\u2012\u2043]")  # hyphen look-alikes → -


def fold_width(text: str) -> str:
    """Full-width ASCII (１２３, ＡＢＣ) as plain ASCII; odd spaces, tildes and hyphens unified."""
    text = _FULL_WIDTH.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    text = _SPACES.sub(" ", text)
    text = _TILDES.sub("~", text)
    return _HYPHENS.sub("-", text)
