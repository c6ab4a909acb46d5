"""Write the large catalogs of other tools' making: poedit.po/.pot and weblate.po/.pot.

Run from this folder (``python make_large.py``); needs GNU gettext's msgcat,
which gives the files GNU's own 76-column wrapping. The outputs are
committed; the tests never run this script. ``expected.yaml`` lists the
problems planted on purpose: ``pipeline i18n check`` must find exactly those.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent

DEVICES = [  # English, Korean, file slug
    ("radio", "라디오", "radio"),
    ("SD card", "에스디 카드", "sdcard"),
    ("USB stick", "유에스비 메모리", "usb"),
    ("MP3 player", "엠피쓰리 플레이어", "player"),
    ("shortwave receiver", "단파 수신기", "shortwave"),
    ("memory card", "메모리 카드", "memory"),
    ("earphones", "이어폰", "earphones"),
    ("battery", "배터리", "battery"),
    ("antenna", "안테나", "antenna"),
    ("speaker", "스피커", "speaker"),
    ("charger", "충전기", "charger"),
    ("solar panel", "태양광 패널", "solar"),
]


def _has_final(word: str) -> bool:
    last = word[-1]
    return "가" <= last <= "힣" and (ord(last) - 0xAC00) % 28 != 0


def particle(word: str, with_final: str, without: str) -> str:
    return word + (with_final if _has_final(word) else without)


def obj(word: str) -> str:
    return particle(word, "을", "를")


def subj(word: str) -> str:
    return particle(word, "이", "가")


def topic(word: str) -> str:
    return particle(word, "은", "는")


def by(word: str) -> str:
    last = word[-1]
    rieul = "가" <= last <= "힣" and (ord(last) - 0xAC00) % 28 == 8
    return word + ("로" if rieul or not _has_final(word) else "으로")


PATTERNS = [  # English with {d}, Korean from the device's Korean name
    ("Insert the {d}.", lambda k: f"{obj(k)} 넣으세요."),
    ("Remove the {d} safely.", lambda k: f"{obj(k)} 안전하게 빼세요."),
    ("The {d} is not responding.", lambda k: f"{subj(k)} 응답하지 않습니다."),
    ("Check that the {d} is connected.", lambda k: f"{subj(k)} 연결되어 있는지 확인하세요."),
    ("Keep the {d} away from water.", lambda k: f"{obj(k)} 물에서 멀리 두세요."),
    ("Hide the {d} when you are not listening.", lambda k: f"듣지 않을 때는 {obj(k)} 숨기세요."),
    ("Is the {d} working?", lambda k: f"{subj(k)} 작동하나요?"),
    ("The {d} was found.", lambda k: f"{obj(k)} 찾았습니다."),
    ("Turn off the {d} before you sleep.", lambda k: f"잠들기 전에 {obj(k)} 끄세요."),
    ("Do not lend the {d} to strangers.", lambda k: f"{obj(k)} 모르는 사람에게 빌려주지 마세요."),
    ("Clean the {d} with a dry cloth.", lambda k: f"마른 천으로 {obj(k)} 닦으세요."),
    ("The {d} needs 2 hours to charge.", lambda k: f"{topic(k)} 충전하는 데 2시간이 걸립니다."),
    ("Store the {d} at room temperature.", lambda k: f"{obj(k)} 상온에 보관하세요."),
    ("The {d} is ready.", lambda k: f"{subj(k)} 준비되었습니다."),
    ("Press and hold to reset the {d}.", lambda k: f"길게 눌러 {obj(k)} 초기화하세요."),
    ("Choose a {d} from the list.", lambda k: f"목록에서 {obj(k)} 고르세요."),
    ("Where did you get this {d}?", lambda k: f"이 {topic(k)} 어디에서 구했나요?"),
    (
        "Share the {d} only with people you trust.",
        lambda k: f"{topic(k)} 믿을 수 있는 사람과만 나누세요.",
    ),
    ("Unplug the {d}. Wait 10 seconds.", lambda k: f"{obj(k)} 뽑으세요. 10초 기다리세요."),
    ("A new {d} was added.", lambda k: f"새 {subj(k)} 추가되었습니다."),
    ("The {d} is almost full.", lambda k: f"{subj(k)} 거의 가득 찼습니다."),
    ("Replace the {d} every 6 months.", lambda k: f"6개월마다 {obj(k)} 바꾸세요."),
    ("Listen quietly with the {d}.", lambda k: f"{by(k)} 조용히 들으세요."),
    ("The {d} has stopped.", lambda k: f"{subj(k)} 멈췄습니다."),
    (
        "Test the {d} before the broadcast at 9 in the evening.",
        lambda k: f"저녁 9시 방송 전에 {obj(k)} 시험하세요.",
    ),
]

LONG = [  # long paragraphs that wrap, with their Korean
    (
        "An SD card is smaller than a fingernail, so it is easy to hide and easy to pass from "
        "hand to hand. A card can be swallowed, burned or snapped in seconds if a search begins.",
        "에스디 카드는 손톱보다 작아서 숨기기 쉽고 손에서 손으로 건네기도 쉽습니다. "
        "수색이 시작되면 카드는 몇 초 만에 삼키거나 태우거나 부러뜨릴 수 있습니다.",
    ),
    (
        "Radio signals from across the border reach people who listen at night with small sets "
        "hidden under blankets, and the news travels on by word of mouth.",
        "국경 너머의 라디오 신호는 이불 아래 작은 수신기를 숨겨 밤에 듣는 사람들에게 닿고, "
        "소식은 입에서 입으로 퍼집니다.",
    ),
    (
        "More than 83% of those who left between 2016 and 2020 had watched or listened to "
        "foreign media before they left.",
        "2016년에서 2020년 사이에 떠난 사람의 83% 이상이 떠나기 전에 외국 매체를 보거나 들은 적이 있었습니다.",
    ),
]

FORMATTED = [  # (msgid, msgid_plural, flag, Korean)
    ("%(count)d song", "%(count)d songs", "python-format", "노래 %(count)d곡"),
    ("%(count)d file", "%(count)d files", "python-format", "파일 %(count)d개"),
    ("{n} minute left", "{n} minutes left", "python-brace-format", "{n}분 남았습니다"),
    ("Track %d of %d", None, "python-format", "%d곡 중 %d번째"),
    ("%(device)s is ready.", None, "python-format", "%(device)s 준비 완료."),
    ("Battery: {percent}%", None, "python-brace-format", "배터리: {percent}%"),
    ("{name} is listening.", None, "python-brace-format", "{name} 님이 듣고 있습니다."),
    (
        "Next broadcast in {minutes} minutes.",
        None,
        "python-brace-format",
        "다음 방송까지 {minutes}분 남았습니다.",
    ),
    ("Volume: %(level)d of 10", None, "python-format", "음량: 10 중 %(level)d"),
]

# Real problems, planted on purpose; each is (msgctxt, msgid) -> (Korean, expected findings).
PLANTED = {
    ("greeting", "Welcome back, {name}."): (
        "다시 오신 것을 환영합니다.",
        ["error[placeholders]"],
    ),
    ("unplug", "Unplug the radio. Wait 10 seconds."): (
        "라디오를 뽑으세요. 잠시 기다리세요.",
        ["error[numbers]"],
    ),
    ("website", "Read more about it on our website, any time you like."): (
        "자세한 내용은 언제든지 www.example.org 에서 보세요.",
        ["error[unspeakable]"],
    ),
    ("brand", "Insert the Zxqvbn card."): ("Zxqvbn 카드를 넣으세요.", ["error[latin]"]),
    ("unchanged", "The antenna is ready."): (
        "The antenna is ready.",
        ["error[unchanged]", "error[latin]"],
    ),
    ("blank", "Good night."): ("  ", ["error[blank]"]),
    ("long", "The radio is ready."): (
        "라디오가 이제 모든 준비를 마쳤으니 언제든지 편하게 켜서 들으시면 됩니다.",
        ["error[length]"],
    ),
    ("question", "Is the speaker working?"): ("스피커가 작동합니다.", ["warning[punctuation]"]),
    ("two", "Unplug the charger. Wait a moment."): (
        "충전기를 뽑고 잠시 기다리세요.",
        ["warning[sentences]"],
    ),
    ("station", "Welcome to Open Window Radio."): (
        "창문 라디오에 오신 것을 환영합니다.",
        ["error[glossary]"],
    ),
}
SWITCHED_OFF = ("brand-name", "Zxqvbn mode.", "Zxqvbn 모드.", "no-check-latin")

POEDIT_HEADER = [
    "Project-Id-Version: Open Window Player 2.4",
    "Report-Msgid-Bugs-To: ",
    "POT-Creation-Date: 2024-02-01 10:00+0900",
    "PO-Revision-Date: 2024-02-03 18:22+0900",
    "Last-Translator: Translator One <one@example.org>",
    "Language-Team: Korean",
    "Language: ko",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=UTF-8",
    "Content-Transfer-Encoding: 8bit",
    "Plural-Forms: nplurals=1; plural=0;",
    "X-Generator: Poedit 3.4.2",
    "X-Poedit-SourceCharset: UTF-8",
    "X-Poedit-Basepath: ..",
    "X-Poedit-KeywordsList: _;gettext;ngettext:1,2;pgettext:1c,2",
    "X-Poedit-SearchPath-0: .",
]
WEBLATE_HEADER = [
    "Project-Id-Version: open-window-player",
    "Report-Msgid-Bugs-To: ",
    "POT-Creation-Date: 2024-05-20 08:00+0000",
    "PO-Revision-Date: 2024-05-22 21:14+0000",
    "Last-Translator: Anonymous <noreply@weblate.org>",
    "Language-Team: Korean <https://hosted.weblate.org/projects/open-window/player/ko/>",
    "Language: ko",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=UTF-8",
    "Content-Transfer-Encoding: 8bit",
    "Plural-Forms: nplurals=1; plural=0;",
    "X-Generator: Weblate 5.8.4",
]


def quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def entry(
    msgid: str,
    msgstr: str,
    *,
    ctx: str | None = None,
    plural: str | None = None,
    refs: tuple[str, ...] = (),
    notes: tuple[str, ...] = (),
    comments: tuple[str, ...] = (),
    flags: tuple[str, ...] = (),
    previous: str | None = None,
    obsolete: bool = False,
) -> str:
    lines = [f"# {c}" for c in comments] + [f"#. {n}" for n in notes]
    lines += [f"#: {' '.join(refs)}"] if refs else []
    lines += [f"#, {', '.join(flags)}"] if flags else []
    prefix = "#~ " if obsolete else ""
    if previous is not None:
        lines.append(f"{'#~| ' if obsolete else '#| '}msgid {quote(previous)}")
    if ctx is not None:
        lines.append(f"{prefix}msgctxt {quote(ctx)}")
    lines.append(f"{prefix}msgid {quote(msgid)}")
    if plural is not None:
        lines.append(f"{prefix}msgid_plural {quote(plural)}")
        lines.append(f"{prefix}msgstr[0] {quote(msgstr)}")
    else:
        lines.append(f"{prefix}msgstr {quote(msgstr)}")
    return "\n".join(lines) + "\n"


def build(kind: str) -> tuple[str, str, dict[str, list[tuple[str | None, str]]]]:
    """The .po text, the .pot text and the planted problems of one catalog."""
    weblate = kind == "weblate"
    po, pot = [], []
    expected: dict[str, list[tuple[str | None, str]]] = {}

    def add(msgid: str, msgstr: str, **options: object) -> None:
        po.append(entry(msgid, msgstr, **options))  # type: ignore[arg-type]
        template = {k: v for k, v in options.items() if k in ("ctx", "plural", "refs", "notes")}
        flags = tuple(f for f in options.get("flags", ()) if f.endswith("-format"))  # type: ignore[union-attr]
        if not options.get("obsolete"):
            pot.append(entry(msgid, "", flags=flags, **template))  # type: ignore[arg-type]

    n = 0
    for english, korean, slug in DEVICES:
        for p, (pattern, make) in enumerate(PATTERNS):
            n += 1
            msgid = pattern.format(d=english)
            msgid = msgid[0].upper() + msgid[1:]
            msgstr = make(korean)
            ctx = f"{slug}.{p + 1}" if weblate or p % 3 == 0 else None
            refs = (f"src/player/{slug}.py:{10 + 7 * p}",) + ((f"src/ui/{slug}.py:{p + 3}",) if p % 4 == 0 else ())
            notes = ("Shown on the device screen.",) if p % 5 == 0 else ()
            comments = ("Keep it short: the screen has 16 characters.",) if n % 17 == 0 else ()
            if n % 23 == 0:
                add(msgid, "", ctx=ctx, refs=refs, notes=notes)
                expected.setdefault("warning[untranslated]", []).append((ctx, msgid))
            elif n % 29 == 0:
                old = msgid.rstrip(".?") + " now."
                add(
                    msgid,
                    msgstr,
                    ctx=ctx,
                    refs=refs,
                    flags=("fuzzy",),
                    previous=old,
                    comments=comments,
                )
                expected.setdefault("warning[fuzzy]", []).append((ctx, msgid))
            else:
                add(msgid, msgstr, ctx=ctx, refs=refs, notes=notes, comments=comments)
    for i, (english, korean) in enumerate(LONG):
        add(english, korean, ctx=f"help.{i + 1}", refs=(f"src/help/text.py:{100 + i}",))
    for i, (msgid, plural, flag, korean) in enumerate(FORMATTED):
        add(msgid, korean, plural=plural, flags=(flag,), refs=(f"src/player/status.py:{20 + i}",))
    for (ctx, msgid), (korean, findings) in PLANTED.items():
        add(msgid, korean, ctx=ctx, refs=(f"src/player/notices.py:{len(po)}",))
        for finding in findings:
            expected.setdefault(finding, []).append((ctx, msgid))
    ctx, msgid, korean, switch = SWITCHED_OFF
    # As a translator comment: GNU msgcat drops flags it does not know.
    add(msgid, korean, ctx=ctx, comments=(switch,), refs=("src/player/modes.py:4",))
    add("Old notice nobody needs", "아무도 필요 없는 옛 안내", obsolete=True)
    add("Old fuzzy notice", "옛 퍼지 안내", obsolete=True, flags=("fuzzy",), previous="Older notice")
    header = POEDIT_HEADER if not weblate else WEBLATE_HEADER
    head = 'msgid ""\nmsgstr ""\n' + "".join(f"{quote(line + chr(10))}\n" for line in header)
    pot_header_fields = [
        f
        for f in header
        if f.split(":")[0]
        in (
            "Project-Id-Version",
            "Report-Msgid-Bugs-To",
            "POT-Creation-Date",
            "MIME-Version",
            "Content-Type",
            "Content-Transfer-Encoding",
        )
    ]
    pot_head = 'msgid ""\nmsgstr ""\n' + "".join(f"{quote(line + chr(10))}\n" for line in pot_header_fields)
    who = "Anonymous <noreply@weblate.org>" if weblate else "Translator One <one@example.org>"
    comment = f"# Korean translation of Open Window Player.\n# {who}, 2024.\n"
    return comment + head + "\n" + "\n".join(po), pot_head + "\n" + "\n".join(pot), expected


def gnu_wrapped(text: str) -> str:
    result = subprocess.run(["msgcat", "--width=76", "-"], input=text, capture_output=True, text=True, check=True)
    return result.stdout


def main() -> None:
    lines = ["# Problems planted in the large catalogs: finding -> [msgctxt, msgid].", ""]
    for kind in ("poedit", "weblate"):
        po, pot, expected = build(kind)
        (HERE / f"{kind}.po").write_text(gnu_wrapped(po), encoding="utf-8")
        (HERE / f"{kind}.pot").write_text(gnu_wrapped(pot), encoding="utf-8")
        lines.append(f"{kind}:")
        for finding, msgids in sorted(expected.items()):
            lines.append(f"  {finding}:")
            lines.extend(f"    - [{json.dumps(c)}, {json.dumps(m, ensure_ascii=False)}]" for c, m in msgids)
    (HERE / "expected.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
