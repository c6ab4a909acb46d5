"""Korean numerals: Sino-Korean (일, 이, 삼 …) and native (한, 두, 세 …) readings.

Entry points: :func:`sino`, :func:`native`, :func:`decimal`, :func:`code_digits`,
:func:`counted` and :func:`approximate`.

Sino-Korean cardinals come from ``num2words(n, lang="ko")``, corrected where it
is wrong (checked against num2words 0.5.14):

* a 만 group of exactly one after 억/조/경 loses its 일: 100,010,000 comes out
  ``일억 만``; a newsreader says ``일억 일만``.
* decimals: it spaces the digits after the point (``영 점 육 칠``) and, given a
  float, drops written trailing zeros (1.50 → ``일 점 오``). Digits after the
  point are read as written, as one word: ``영 점 육칠``, ``일 점 오영``.
* native numerals: its only native output is ``to="ordinal"``, which says
  ``스물 번째`` for 20 (``스무 번째`` is right), spaces ``백 한 번째`` and fails
  with KeyError on 100, 200, 1000, 34012 …; native forms are therefore built
  here from the tables in ``data/ko_rules.yaml``.
"""

from __future__ import annotations

import re
from decimal import Decimal

from num2words import num2words

from pipeline.speech.rules import load_rules

_MAN_AFTER_BIGGER_UNIT = re.compile(r"(?<=[억조경해]) 만(?= |$)")


def _rules() -> dict:
    return load_rules("ko_rules")


def sino(number: int) -> str:
    """Sino-Korean reading of a whole number (18000 → 만 팔천, -5 → 마이너스 오)."""
    if number < 0:
        return f"{_rules()['minus']} {sino(-number)}"
    return _MAN_AFTER_BIGGER_UNIT.sub(" 일만", num2words(number, lang="ko"))


def native(number: int) -> str | None:
    """Native reading before a counter (2 → 두, 20 → 스무, 21 → 스물한); None outside 1-99."""
    if not 1 <= number <= 99:
        return None
    rules = _rules()
    tens, units = divmod(number, 10)
    if number == 20:
        return rules["native_twenty"]
    tens_word = rules["native_tens"][tens - 1] if tens else ""
    units_word = rules["native_units"][units - 1] if units else ""
    return tens_word + units_word


def decimal(written: str) -> str:
    """Reading of a written number with commas or a decimal point (0.67 → 영 점 육칠)."""
    plain = written.replace(",", "")
    whole, _, fraction = plain.partition(".")
    reading = sino(int(whole or "0"))
    if not fraction:
        return reading
    digits = "".join(_rules()["digits"][int(d)] for d in fraction)
    return f"{reading} {_rules()['decimal_point']} {digits}"


def code_digits(written: str) -> str:
    """Digit-by-digit reading for codes and telephone numbers (010 → 공일공)."""
    names = _rules()["code_digits"]
    return "".join(names[int(d)] for d in written if d.isdigit())


def counted(number: int, counter: str) -> str:
    """``number`` read the way ``counter`` wants it, with the counter (3명 → 세 명, 6월 → 유 월)."""
    rules = _rules()
    if counter == "째":
        return _zzae(number)
    if counter == "번째" and number == 1:
        return f"{rules['native_first']} {counter}"
    if counter == "월" and number in rules["months"]:
        return f"{rules['months'][number]} {counter}"
    return f"{numeral_for(number, counter)} {counter}"


def numeral_for(number: int, counter: str) -> str:
    """The numeral alone, native or Sino-Korean as ``counter`` takes it."""
    rules = _rules()
    if counter in rules["native_counters"] or counter in rules["mixed_above_99"]:
        limit = rules["native_limits"].get(counter, 99)
        if counter in rules["sino_tens"] and number % 10 == 0:
            return sino(number)
        if 1 <= number <= limit:
            return native(number) or sino(number)
        if counter in rules["mixed_above_99"] and number > 99 and number % 100:
            return sino(number - number % 100) + (native(number % 100) or "")
    return sino(number)


def _zzae(number: int) -> str:
    rules = _rules()
    if number in rules["native_ordinal_zzae"]:
        return rules["native_ordinal_zzae"][number]
    return numeral_for(number, "째") + "째"


def approximate(low: int, high: int, counter: str | None) -> str | None:
    """Neighbouring numbers read as one approximate word (두세, 서너, 이삼), or None."""
    if high != low + 1:
        return None
    rules = _rules()
    takes_native = counter is not None and numeral_for(low, counter) == native(low)
    if takes_native and low in rules["native_approximate"]:
        return rules["native_approximate"][low]
    if not takes_native and low in rules["sino_approximate"]:
        return rules["sino_approximate"][low]
    return None


def scaled(amount: str, power: int) -> int:
    """A written amount times ten to ``power`` as a whole number (1.5, 9 → 1500000000)."""
    return int(Decimal(amount.replace(",", "")).scaleb(power))
