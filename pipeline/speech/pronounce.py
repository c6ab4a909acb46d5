"""Korean respelled as pronounced, by the Standard Pronunciation rules (표준발음법), for the voice.

Entry points: :func:`respell` (normalised Korean → Hangul spelled as it is
said: 합니다 → 함니다, 국민 → 궁민, 같이 → 가치) and :func:`rules_needed`.
espeak-ng reads Hangul letter by letter; given the respelled text it says the
words as a Korean newsreader does. Transcripts and lyrics keep the written text.

The rules run in this order over the syllables of a sentence, each seeing
what the earlier ones left (article numbers of 표준발음법):

1. project exceptions (``pronounce:`` in ``locales/ko/lexicon.yaml``, and the
   built-in ones in ``data/ko_lexicon.yaml``) replace whole words first;
2. ㅢ after a consonant → ㅣ (5항: 희망 → 히망), the particle 의 → 에 (북한의 → 부카네);
   the name of a consonant letter before a vowel ends in the sound its name is said with
   there (16항: 디귿이 → 디그시, 키읔이 → 키으기, 피읖에 → 피으베);
3. ㄴ 첨가 where a compound's or prefix's second part begins with 이/야/여/요/유
   (29항: 솜이불 → 솜니불), and after the adnominal -ㄹ (할 일 → 할 릴);
4. ㅎ: aspiration both ways and its loss (12항: 좋다 → 조타, 각하 → 가카,
   놓는 → 논는, 좋아 → 조아), with 굳히다 → 구치다 (17항);
5. linking (연음, 13-15항): a final consonant moves onto a following vowel;
   of a cluster only the second letter moves (값이 → 갑씨); before a lexical
   morpheme the final is first neutralised (겉옷 → 거돋); ㄷ/ㅌ before a
   grammatical 이 become ㅈ/ㅊ (구개음화, 17항: 같이 → 가치);
6. tensing (경음화): after obstruents (23항), after verb stems in ㄴ/ㅁ/ㄼ/ㄾ
   before endings (24-25항: 신고 → 신꼬), Sino-Korean ㄹ + ㄷ/ㅅ/ㅈ (26항:
   발전 → 발쩐; also a Sino-Korean number in ㄹ before a Sino-Korean counter: 일 점 오 →
   일쩜 오, 일 승 → 일씅), after the adnominal -ㄹ (27항: 할 것 → 할 껃);
7. clusters (10-11항: 닭 → 닥, 맑게 → 말께, 밟다 → 밥따) and neutralisation
   of every remaining final (9항: 옷 → 옫, 부엌 → 부억);
8. ㄹ after ㅁ/ㅇ and obstruents becomes ㄴ (19항: 담력 → 담녁, 백리 → 뱅니);
   ㄴ and ㄹ meeting become ㄹㄹ (20항: 신라 → 실라, 칼날 → 칼랄), except
   where a word of two or more syllables takes a suffix in ㄹ (의견란 → 의견난);
9. nasalisation (18항: 국민 → 궁민, 합니다 → 함니다);
10. 져/쪄/쳐 → 저/쩌/처 (5항).

Word boundaries are kept as a newsreader keeps them: nothing is carried
across a space (정부는 오늘 stays), except that a final consonant before ㄴ/ㅁ
is nasalised as the standard says for words said together (18항 붙임:
밥 먹는다 → 밤 멍는다), the adnominal -ㄹ tenses and adds ㄴ to the next word
(할 것 → 할 껃, 할 일 → 할 릴), and a number and its counter, which the
normaliser writes apart, are said as one word (삼 월 → 사뭘, 십 년 → 심년,
몇 명 → 면명). Morphemes come from :mod:`pipeline.speech.morphology`, asked
only when a syllable with a final consonant meets another (or a particle 의
follows one). Not covered: the tensing of compounds
without a written 사이시옷 (28항: 문고리 → 문꼬리) and vowel length; such words
go in the lexicon's ``pronounce:`` list.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from pipeline.speech import hangul
from pipeline.speech.morphology import Morpheme, analyse
from pipeline.speech.rules import load_rules

RULES = load_rules("ko_pronounce")
_NIEUN_BEFORE_I = frozenset(RULES["nieun_before_i"])
_NO_NIEUN_BEFORE = frozenset(RULES["no_nieun_before"])
_SINO_COUNTERS_TENSED = frozenset(RULES["sino_counters_tensed"])
_SINO_NUMERALS_IN_RIEUL = frozenset({"일", "칠", "팔"})  # the Sino-Korean digits that end in ㄹ
_SINO_DIGITS = frozenset("영일이삼사오육칠팔구십백천만억조")  # how a number written in digits ends

# How two neighbouring syllables are joined.
INSIDE = "inside"  # within one morpheme
GRAMMAR = "grammar"  # the second begins a grammatical morpheme (particle, ending, suffix, copula)
LEXICAL = "lexical"  # the second begins a lexical morpheme (a compound's part, a noun after a prefix)
FIXED = "fixed"  # within a word whose pronunciation the lexicon gives
SPACE = "space"  # a space after the adnominal -ㄹ (할 것, 할 일)
PHRASE = "phrase"  # any other single space between words: only nasalisation reaches across it

_GRAMMATICAL_TAGS = ("J", "E", "XS", "VCP")
_STEM_TAGS = ("VV", "VA", "VX")
_SINO_TAGS = ("NNG", "NNP", "NR", "XR", "MAG")  # nouns and adverbs: where ㄹ + ㄷ/ㅅ/ㅈ tenses (26항)
_NOUN_TAGS = frozenset({"NNG", "NR"})  # compounded common nouns tense (술잔); names do not (서울시)
_NUMBER_TAGS = ("NR", "MM")  # numbers, and determiners such as 몇 and 한

_NEUTRAL = {
    "ㄲ": "ㄱ", "ㅋ": "ㄱ", "ㄳ": "ㄱ", "ㄺ": "ㄱ",
    "ㅅ": "ㄷ", "ㅆ": "ㄷ", "ㅈ": "ㄷ", "ㅊ": "ㄷ", "ㅌ": "ㄷ", "ㅎ": "ㄷ",
    "ㅍ": "ㅂ", "ㄿ": "ㅂ", "ㅄ": "ㅂ",
    "ㄵ": "ㄴ", "ㄶ": "ㄴ", "ㄻ": "ㅁ", "ㄼ": "ㄹ", "ㄽ": "ㄹ", "ㄾ": "ㄹ", "ㅀ": "ㄹ",
}  # fmt: skip
_OBSTRUENT_FINALS = frozenset("ㄱㄲㅋㄳㄺㄷㅅㅆㅈㅊㅌㅂㅍㄿㅄ")
_TENSE = {"ㄱ": "ㄲ", "ㄷ": "ㄸ", "ㅂ": "ㅃ", "ㅅ": "ㅆ", "ㅈ": "ㅉ"}
_ASPIRATE = {"ㄱ": "ㅋ", "ㄷ": "ㅌ", "ㅂ": "ㅍ", "ㅈ": "ㅊ"}
_NASAL = {"ㄱ": "ㅇ", "ㄷ": "ㄴ", "ㅂ": "ㅁ"}
_H_FINALS = {"ㅎ": "", "ㄶ": "ㄴ", "ㅀ": "ㄹ"}  # a final with ㅎ, and what is left without it
_Y_VOWELS = frozenset("ㅣㅑㅕㅛㅠ")  # vowels before which ㄴ is added (29항)
_PALATAL_VOWELS = frozenset("ㅣㅕ")  # 이, and 여 contracted from 이어 (붙여 → 부처)
_PALATALISED = {"ㄷ": "ㅈ", "ㅌ": "ㅊ"}
# ㄼ said ㅂ: in 밟- always, in 넓- before 죽/둥 (넓죽하다, 넓둥글다), whatever their finals became.
_LABIAL_RIEUL_BIEUP: dict[str, tuple[tuple[str, str], ...]] = {"밟": (), "넓": (("ㅈ", "ㅜ"), ("ㄷ", "ㅜ"))}
_LAX = {tense: lax for lax, tense in _TENSE.items()}
_COMPOUND_HEADS = {"없", "있"}  # 맛없다, 값있다: adjectives made of a noun and 없다/있다 (15항)
_NAMED_LINKING = {"맛", "멋"}  # 맛있다, 멋있다: [마싣따] allowed beside [마딛따] (15항 다만)
# 16항: the last syllable of a consonant letter's name (디귿, 지읒, 치읓, 키읔, 티읕, 피읖, 히읗: no
# other word has these syllables) and the final it links with before a vowel.
_LETTER_NAME_FINALS = {"귿": "ㅅ", "읒": "ㅅ", "읓": "ㅅ", "읔": "ㄱ", "읕": "ㅅ", "읖": "ㅂ", "읗": "ㅅ"}


@dataclass
class Syllable:
    """One syllable being respelled, and what the analyser said about where it stands."""

    initial: str
    medial: str
    final: str
    offset: int = 0  # where it stands in the text
    morpheme: Morpheme | None = None
    rieul_ending: bool = False  # its final ㄹ begins an -(으)ㄹ ending (할, 먹을, 할수록)
    linked: bool = False  # its initial is a final consonant moved onto it (앉아 → 안자): never made tense
    numeral: bool = False  # part of a number or 몇/한 (see _is_numeral)
    fixed: bool = False  # a syllable of a word whose pronunciation the lexicon gives

    def text(self) -> str:
        """The syllable spelled again."""
        return hangul.compose(self.initial, self.medial, self.final)


@dataclass
class Sentence:
    """The syllables of a text, the text between them, and how each syllable meets the next."""

    source: str = ""  # the text as written
    syllables: list[Syllable] = field(default_factory=list)
    between: list[str] = field(default_factory=list)  # text before each syllable, and a last entry
    links: list[str | None] = field(default_factory=list)  # link to the next syllable; None: none

    def pairs(self, *kinds: str) -> list[tuple[Syllable, Syllable, str]]:
        """Neighbouring syllables joined by one of ``kinds`` (any link when none are given)."""
        found = []
        for index, link in enumerate(self.links):
            if link is not None and (not kinds or link in kinds):
                found.append((self.syllables[index], self.syllables[index + 1], link))
        return found

    def text(self) -> str:
        """The sentence spelled again, with the text between syllables as it was."""
        return "".join(gap + syllable.text() for gap, syllable in zip(self.between, self.syllables, strict=False)) + (
            self.between[-1] if self.between else ""
        )


WITHIN_WORD = (INSIDE, GRAMMAR, LEXICAL)  # the rules leave a lexicon word's own syllables (FIXED) alone
_NEEDS_MORPHOLOGY = re.compile("([가-힣])(?=[ ]?[가-힣])")
_PARTICLE_UI = re.compile("[가-힣]의")


def rules_needed(text: str) -> bool:
    """True when respelling could change ``text``: it holds Hangul."""
    return any(hangul.is_syllable(char) for char in text)


def respell(text: str, exceptions: Mapping[str, str] | None = None) -> str:
    """``text`` (normalised Korean) spelled as the standard rules pronounce it.

    ``exceptions`` maps written words to their pronunciation (same number of
    syllables). An entry matches at the start of a word, whatever follows it
    (인권을, 인권단체); the rules leave its own syllables alone and join it to
    what follows. A space the respelling reads through (삼 월 → 사뭘) is dropped.
    """
    if not rules_needed(text):
        return text
    sentence = _sentence(text, _morphemes_if_needed(text), exceptions or {})
    for rule in _RULES:
        rule(sentence)
    return sentence.text()


def _morphemes_if_needed(text: str) -> list[Morpheme]:
    """Morphemes, when some syllable with a final consonant meets another syllable or 의 follows
    a syllable (a particle, 우리의 → 우리에)."""
    if _PARTICLE_UI.search(text):
        return analyse(text)
    for match in _NEEDS_MORPHOLOGY.finditer(text):
        if hangul.ends_in_consonant(match.group(1)):  # across a space: the adnominal -ㄹ, 몇 년, 십 년
            return analyse(text)
    return []


def _sentence(text: str, morphemes: list[Morpheme], exceptions: Mapping[str, str]) -> Sentence:
    by_offset = {offset: m for m in morphemes for offset in range(m.start, m.end)}
    rieul_endings = {m.rieul_ending for m in morphemes if m.rieul_ending >= 0}
    fixed = _exception_spans(text, exceptions)
    sentence = Sentence(text)
    gap = ""
    previous = -2
    for offset, char in enumerate(text):
        if not hangul.is_syllable(char):
            gap += char
            continue
        letters = hangul.decompose(fixed.get(offset, char))
        syllable = Syllable(*letters, offset, by_offset.get(offset), offset in rieul_endings, fixed=offset in fixed)
        syllable.numeral = _is_numeral(syllable, sentence.syllables[-1] if sentence.syllables and not gap else None)
        if sentence.syllables:
            if gap == " " and _counted(sentence.syllables[-1], syllable):
                gap = ""  # 삼 월 → 사뭘, 몇 년 → 면년: a number and its counter are one word said
            sentence.links.append(_link(sentence.syllables[-1], syllable, gap, previous in fixed and offset in fixed))
        sentence.syllables.append(syllable)
        sentence.between.append(gap)
        gap = ""
        previous = offset
    sentence.between.append(gap)
    return sentence


def _link(before: Syllable, after: Syllable, gap: str, both_fixed: bool) -> str | None:
    if gap != " ":
        return None if gap else _link_within(before, after, both_fixed)
    return SPACE if before.rieul_ending and before.final == "ㄹ" else PHRASE


def _link_within(before: Syllable, after: Syllable, both_fixed: bool) -> str:
    if both_fixed:
        return FIXED
    if before.morpheme is None or after.morpheme is None:
        return INSIDE
    if before.morpheme is after.morpheme:
        return LEXICAL if _compound_adjective(before, after) else INSIDE
    return GRAMMAR if after.morpheme.first_tag.startswith(_GRAMMATICAL_TAGS) else LEXICAL


def _is_numeral(syllable: Syllable, before: Syllable | None) -> bool:
    """Part of a number (or 몇, 한): its morpheme is one, or it is a one-syllable counter the
    analyser split off a number written with it (십일 월 read as 십 + 일(day) + 월)."""
    if syllable.morpheme is None:
        return False
    if syllable.morpheme.last_tag in _NUMBER_TAGS:
        return True
    one_syllable = syllable.morpheme.end - syllable.morpheme.start == 1
    return one_syllable and syllable.morpheme.first_tag == "NNBC" and before is not None and before.numeral


def _counted(before: Syllable, after: Syllable) -> bool:
    """A number (or 몇) and the counter after it: written apart, said as one word."""
    if not before.numeral or after.morpheme is None or before.morpheme is None:
        return False
    if after.morpheme.first_tag == "NNBC":
        return True
    if before.text() in _SINO_DIGITS:
        if after.morpheme.first_tag == "MM" and _one_syllable(after.morpheme):
            return True  # 칠 세 아동: no determiner follows a number, the analyser took the counter 세 for 세(three)
        if after.morpheme.first_tag == "NNG":
            return True  # 일 세기, 이십일 세기 (이십 + 일 as a counter, see _is_numeral): one word
    if before.morpheme.last_tag == "MM":
        return False  # 새 법, 그 일: a determiner before a noun stays a word of its own
    # 칠 월: the analyser calls 월 a noun
    return after.morpheme.first_tag in ("NNG", "NNB") and _one_syllable(after.morpheme)


def _one_syllable(morpheme: Morpheme) -> bool:
    return morpheme.end - morpheme.start == 1


def _compound_adjective(before: Syllable, after: Syllable) -> bool:
    """맛없다, 값있는: the noun and 없-/있- the analyser keeps as one adjective meet here."""
    assert before.morpheme is not None
    return before.morpheme.first_tag in _STEM_TAGS and before.final != "" and after.text() in _COMPOUND_HEADS


def _exception_spans(text: str, exceptions: Mapping[str, str]) -> dict[int, str]:
    """Offset → the syllable the lexicon says is pronounced there."""
    spans: dict[int, str] = {}
    if not exceptions:
        return spans
    pattern = _exception_pattern(tuple(sorted(exceptions, key=lambda w: (-len(w), w))))
    for match in pattern.finditer(text):
        for index, syllable in enumerate(exceptions[match.group()]):
            spans[match.start() + index] = syllable
    return spans


@functools.lru_cache(maxsize=8)
def _exception_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("(?<![가-힣])(?:" + "|".join(re.escape(word) for word in words) + ")")


# --- the rules, in order -------------------------------------------------------------


def _ui(sentence: Sentence) -> None:
    """5항 다만 3-4: 희망 → 히망, 무늬 → 무니; the particle 의 is said 에, as the standard allows
    and newsreaders say it (북한의 → 부카네); other 의 stays (의사, 주의)."""
    for syllable in sentence.syllables:
        if syllable.medial != "ㅢ" or syllable.fixed:  # a lexicon word is said as it gives it
            continue
        if syllable.initial != "ㅇ":
            syllable.medial = "ㅣ"
        elif _is_particle(syllable):
            syllable.medial = "ㅔ"


def _letter_names(sentence: Sentence) -> None:
    """16항: 디귿이 → 디그시, 지읒을 → 지으슬, 키읔에 → 키으게, 피읖이 → 피으비, 히읗이 → 히으시."""
    for before, after, _ in sentence.pairs(*WITHIN_WORD):
        if after.initial == "ㅇ" and before.text() in _LETTER_NAME_FINALS:
            before.final = _LETTER_NAME_FINALS[before.text()]


def _is_particle(syllable: Syllable) -> bool:
    morpheme = syllable.morpheme
    return morpheme is not None and morpheme.tags[0].startswith("J") and morpheme.end - morpheme.start == 1


def _nieun_insertion(sentence: Sentence) -> None:
    """29항: 솜이불 → 솜니불, 꽃잎 → 꼰닙, 색연필 → 생년필, 할 일 → 할 릴 (the ㄹ comes in rule 8)."""
    for before, after, _ in sentence.pairs(LEXICAL, SPACE):
        if (
            before.final
            and after.initial == "ㅇ"
            and after.medial in _Y_VOWELS
            and _takes_nieun(sentence, before, after)
        ):
            after.initial = "ㄴ"


def _takes_nieun(sentence: Sentence, before: Syllable, after: Syllable) -> bool:
    """Whether the part beginning at ``after`` takes ㄴ: native words in 이 (data/ko_pronounce.yaml),
    words in 야 여 요 유 but for a few, never 있다 (값있는 → 가빈는) or a number (이천이 → 이처니)."""
    if after.text() in _COMPOUND_HEADS:
        return False
    if before.morpheme is not None and before.morpheme.last_tag == "NR":
        return after.medial != "ㅣ"  # 십육 → 심뉵, 열여덟 → 열려덜, but 십일 → 시빌
    word = _morpheme_text(sentence, after)
    if after.medial == "ㅣ":
        return word in _NIEUN_BEFORE_I
    return word not in _NO_NIEUN_BEFORE


def _morpheme_text(sentence: Sentence, first: Syllable) -> str:
    """The written syllables of the morpheme that begins with ``first``."""
    if first.morpheme is None:
        return first.text()
    return sentence.source[first.offset : first.morpheme.end]


def _h_rules(sentence: Sentence) -> None:
    """12항 and 17항 붙임: ㅎ aspirates its neighbour, turns ㅅ tense, becomes ㄴ or falls silent."""
    for before, after, link in sentence.pairs(*WITHIN_WORD):
        if before.final in _H_FINALS:
            _h_final(before, after)
        elif after.initial == "ㅎ" and before.final:
            _h_initial(before, after, link)


def _h_final(before: Syllable, after: Syllable) -> None:
    rest = _H_FINALS[before.final]
    if after.initial in _ASPIRATE:  # 놓고 → 노코, 않던 → 안턴
        after.initial = _ASPIRATE[after.initial]
        before.final = rest
    elif after.initial == "ㅅ":  # 닿소 → 다쏘, 많소 → 만쏘
        after.initial = "ㅆ"
        before.final = rest
    elif after.initial == "ㄴ":  # 놓는 → 논는, 않네 → 안네
        before.final = rest or "ㄴ"
    elif after.initial == "ㅇ":  # 좋아 → 조아, 많아 → 만아 (then 마나)
        before.final = rest


def _h_initial(before: Syllable, after: Syllable, link: str) -> None:
    final = before.final
    first, second = hangul.CLUSTERS.get(final, ("", final))
    if second in ("ㄷ", "ㅈ") and link in (INSIDE, GRAMMAR) and after.medial in _PALATAL_VOWELS:
        after.initial = "ㅊ"  # 굳히다 → 구치다, 꽂히다 → 꼬치다, 앉히다 → 안치다
    elif second in ("ㅅ", "ㅆ", "ㅈ", "ㅊ", "ㅌ"):
        after.initial = "ㅌ"  # 숱하다 → 수타다, 깨끗하다 → 깨끄타다
    elif _NEUTRAL.get(second, second) in _ASPIRATE:
        after.initial = _ASPIRATE[_NEUTRAL.get(second, second)]  # 각하 → 가카, 밝히다 → 발키다
    else:
        return
    before.final = first


def _linking(sentence: Sentence) -> None:
    """13-15항 and 17항: a final consonant moves onto a following vowel."""
    for before, after, link in sentence.pairs(*WITHIN_WORD):
        if after.initial != "ㅇ" or before.final in ("", "ㅇ"):
            continue
        if link == LEXICAL and not _named_linking(before, after):
            before.final = _NEUTRAL.get(before.final, before.final)
        stay, moving = hangul.CLUSTERS.get(before.final, ("", before.final))
        if stay and moving == "ㅅ":
            moving = "ㅆ"  # 값이 → 갑씨, 넋이 → 넉씨, 곬이 → 골씨
        if moving in _PALATALISED and link != LEXICAL and after.medial in _PALATAL_VOWELS:
            moving = _PALATALISED[moving]  # 같이 → 가치, 굳이 → 구지, 붙여 → 부쳐
        before.final = stay
        after.initial = moving
        after.linked = True


def _named_linking(before: Syllable, after: Syllable) -> bool:
    return before.text() in _NAMED_LINKING and after.text() == "있"


def _tensing(sentence: Sentence) -> None:
    """23-27항: lax ㄱ ㄷ ㅂ ㅅ ㅈ made tense after obstruents, stems, Sino-Korean ㄹ and -ㄹ."""
    for index, (before, after, link) in enumerate(_indexed_pairs(sentence)):
        if link in (None, PHRASE) or after.initial not in _TENSE or after.linked:
            continue
        if (
            link == SPACE
            or (before.rieul_ending and before.final == "ㄹ")
            or _after_obstruent(before, after)
            or (link == GRAMMAR and _stem_before_ending(before, after))
            or _sino_rieul(sentence, index, link)
        ):
            after.initial = _TENSE[after.initial]


def _indexed_pairs(sentence: Sentence) -> list[tuple[Syllable, Syllable, str | None]]:
    return [(sentence.syllables[i], sentence.syllables[i + 1], link) for i, link in enumerate(sentence.links)]


def _after_obstruent(before: Syllable, after: Syllable) -> bool:
    if before.final == "ㄼ":
        return _labial_bieup(before, after)
    return before.final in _OBSTRUENT_FINALS


def _stem_before_ending(before: Syllable, after: Syllable) -> bool:
    """24-25항: 신고 → 신꼬, 앉다 → 안따, 젊지 → 점찌, 넓게 → 널께, 핥다 → 할따."""
    if before.morpheme is None or after.morpheme is None or after.initial == "ㅂ":
        return False
    stem_ends = before.morpheme.last_tag in _STEM_TAGS and before.morpheme.end == before.offset + 1
    return (
        stem_ends and after.morpheme.first_tag.startswith("E") and before.final in ("ㄴ", "ㄵ", "ㅁ", "ㄻ", "ㄼ", "ㄾ")
    )


def _sino_rieul(sentence: Sentence, index: int, link: str | None) -> bool:
    """26항: ㄹ + ㄷ/ㅅ/ㅈ within a Sino-Korean noun or number (발전 → 발쩐, 칠십 → 칠씹) and
    where compounded common nouns meet (몰상식 → 몰쌍식, 술잔 → 술짠; not in a name: 서울시), but
    not in a repeated syllable
    (허허실실), nor in a word that cannot be Sino-Korean (월드컵, 헬스)."""
    before, after = sentence.syllables[index], sentence.syllables[index + 1]
    if before.final != "ㄹ" or after.initial not in ("ㄷ", "ㅅ", "ㅈ") or before.morpheme is None:
        return False
    if before.text() == after.text() or not _may_be_sino_korean(sentence, before, after):
        return False
    if link == INSIDE:
        return before.morpheme.last_tag in _SINO_TAGS
    common_nouns = after.morpheme is not None and {before.morpheme.last_tag, after.morpheme.first_tag} <= _NOUN_TAGS
    return link == LEXICAL and (common_nouns or _sino_number_and_counter(sentence, before, after))


def _sino_number_and_counter(sentence: Sentence, before: Syllable, after: Syllable) -> bool:
    """일 점 오 → 일쩜 오, 칠 세 → 칠쎄, 이십일 세기 → 이시빌쎄기: a Sino-Korean number's last digit
    in ㄹ before one of the Sino-Korean counters in :data:`_SINO_COUNTERS_TENSED`, or before a
    noun it counts (the two are one word, see :func:`_counted`)."""
    if not before.numeral or sentence.source[before.offset] not in _SINO_NUMERALS_IN_RIEUL:
        return False
    counter = after.morpheme
    if counter is None:
        return False
    if counter.first_tag == "NNG":
        return True
    if counter.first_tag not in ("NNBC", "MM"):  # MM: see _counted
        return False
    return sentence.source[counter.start : counter.end] in _SINO_COUNTERS_TENSED


def _may_be_sino_korean(sentence: Sentence, *syllables: Syllable) -> bool:
    """False when a morpheme of ``syllables`` has a syllable no hanja is read as: ㅡ without a
    final (드, 스, 트), which marks a loanword (골드, 헬스, 올스타)."""
    for syllable in syllables:
        morpheme = syllable.morpheme
        written = sentence.source[morpheme.start : morpheme.end] if morpheme else syllable.text()
        if any(hangul.is_syllable(char) and hangul.decompose(char)[1:] == ("ㅡ", "") for char in written):
            return False
    return True


def _clusters_and_neutralisation(sentence: Sentence) -> None:
    """9-11항: one consonant of a cluster is said, and every final is one of seven."""
    for index, syllable in enumerate(sentence.syllables):
        following = sentence.syllables[index + 1] if index < len(sentence.links) else None
        link = sentence.links[index] if index < len(sentence.links) else None
        if following is not None and link in WITHIN_WORD:
            syllable.final = _cluster_before(syllable, following)
        syllable.final = _NEUTRAL.get(syllable.final, syllable.final)


def _cluster_before(syllable: Syllable, following: Syllable) -> str:
    final = syllable.final
    if final == "ㄺ" and _is_stem_end(syllable) and following.initial in ("ㄱ", "ㄲ"):
        return "ㄹ"  # 맑게 → 말께, 읽고 → 일꼬
    if final == "ㄼ" and _labial_bieup(syllable, following):
        return "ㅂ"  # 밟다 → 밥따, 넓죽하다 → 넙쭈카다
    return final


def _labial_bieup(syllable: Syllable, following: Syllable) -> bool:
    before_these = _LABIAL_RIEUL_BIEUP.get(syllable.text())
    if before_these is None:
        return False
    return not before_these or (_LAX.get(following.initial, following.initial), following.medial) in before_these


def _is_stem_end(syllable: Syllable) -> bool:
    return syllable.morpheme is not None and syllable.morpheme.last_tag in _STEM_TAGS


def _liquids(sentence: Sentence) -> None:
    """19-20항: 담력 → 담녁, 백리 → 뱅니, 신라 → 실라, 칼날 → 칼랄, 의견란 → 의견난."""
    for before, after, link in sentence.pairs(*WITHIN_WORD, SPACE):
        if after.initial == "ㄹ" and link != SPACE:
            if before.final in ("ㅁ", "ㅇ", "ㄱ", "ㄷ", "ㅂ"):
                after.initial = "ㄴ"
            elif before.final == "ㄴ":
                if _suffix_in_rieul(before, after, link):
                    after.initial = "ㄴ"
                else:
                    before.final = "ㄹ"
        elif after.initial == "ㄴ" and before.final == "ㄹ":
            after.initial = "ㄹ"


def _suffix_in_rieul(before: Syllable, after: Syllable, link: str) -> bool:
    """의견란, 생산량, 결단력: a word of two or more syllables before a morpheme in ㄹ."""
    if link not in (GRAMMAR, LEXICAL) or before.morpheme is None:
        return False
    return before.morpheme.end - before.morpheme.start >= 2


def _nasalisation(sentence: Sentence) -> None:
    """18항: 국민 → 궁민, 닫는 → 단는, 합니다 → 함니다, and between words said as one phrase
    (18항 붙임: 밥 먹는다 → 밤 멍는다)."""
    for before, after, _ in sentence.pairs(*WITHIN_WORD, SPACE, PHRASE):
        if after.initial in ("ㄴ", "ㅁ") and before.final in _NASAL:
            before.final = _NASAL[before.final]


def _palatal_glide(sentence: Sentence) -> None:
    """5항 다만 1: 져 쪄 쳐 are said 저 쩌 처 (가져 → 가저, 다쳐 → 다처)."""
    for syllable in sentence.syllables:
        if syllable.medial == "ㅕ" and syllable.initial in ("ㅈ", "ㅉ", "ㅊ"):
            syllable.medial = "ㅓ"


_RULES = (
    _ui,
    _letter_names,
    _nieun_insertion,
    _h_rules,
    _linking,
    _tensing,
    _clusters_and_neutralisation,
    _liquids,
    _nasalisation,
    _palatal_glide,
)
