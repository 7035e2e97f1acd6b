"""Length-preserving text normalisation: NFKC, lower case, traditional to simplified Chinese.

Every character maps to exactly one character, so an offset in the normalised text is the
same offset in the original: highlighting can mark the original text with what was matched
in the normalised one. Document numbers also have one spelling (`normalize_doc_number`),
which drops spaces and so does not keep lengths: a number is compared, not highlighted.
"""

from __future__ import annotations

import functools
import re
import unicodedata


def without_invisible(text: str) -> str:
    """`text` without the characters that show nothing (Unicode's format characters: zero
    width spaces and joiners, direction marks and isolates, the byte order mark, soft
    hyphens), for what is typed, not what is indexed: copied from a web page into a query,
    they would split or change its words while the reader sees none of them."""
    if text.isascii():
        return text
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


# Blocks whose characters may have a traditional form (CJK unified ideographs, extension A,
# compatibility ideographs).
_CJK_BLOCKS = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))


def _traditional_to_simplified() -> dict[int, str]:
    import opencc

    chars = [chr(c) for lo, hi in _CJK_BLOCKS for c in range(lo, hi + 1)]
    # One character per line keeps OpenCC from applying phrase rules across characters.
    converted = opencc.OpenCC("t2s").convert("\n".join(chars)).split("\n")
    if len(converted) != len(chars):  # pragma: no cover - would mean OpenCC changed shape
        raise RuntimeError("OpenCC t2s did not preserve one character per line")
    return {ord(t): s for t, s in zip(chars, converted, strict=True) if len(s) == 1 and s != t}


@functools.cache
def translation_table() -> dict[int, str]:
    """One table for str.translate: width and case folding, then simplified Chinese."""
    table: dict[int, str] = {}
    for code in range(0x10000):
        char = chr(code)
        if 0xD800 <= code <= 0xDFFF:
            continue
        folded = unicodedata.normalize("NFKC", char).lower()
        if len(folded) == 1 and folded != char:
            table[code] = folded
    for code, simplified in _traditional_to_simplified().items():
        table[code] = table.get(ord(simplified), simplified)
    return table


def normalize(text: str) -> str:
    """Fold width, case and script; the result has exactly the length of `text`."""
    return text.translate(translation_table())


# Issuer, year in brackets, number: 阳政发〔2021〕3号, 国办发 [2020] 12 号; also the year
# followed by 年 and the number by 第, as announcements are numbered (公告2021年第3号).
DOC_NUMBER = re.compile(
    r"[\u4e00-\u9fff]{1,16}\s*(?:[〔\[(（【〖]\s*\d{4}\s*[〕\])）】〗]|\d{4}\s*年)"
    r"\s*第?\s*\d{1,5}\s*号"
)
_OPEN_BRACKETS = "〔［[【（(〖"
_CLOSE_BRACKETS = "〕］]】）)〗"
_BRACKETS = str.maketrans(
    {**dict.fromkeys(_OPEN_BRACKETS, "〔"), **dict.fromkeys(_CLOSE_BRACKETS, "〕")}
)


def normalize_doc_number(value: str) -> str:
    """One spelling of a document number: `阳政发[2021]3号` and `阳政发〔2021〕3号` agree."""
    folded = normalize(value).translate(_BRACKETS)
    return "".join(folded.split())


_IN_FULL = re.compile(r"(?P<issuer>.*?)(?:〔(?P<y1>\d{4})〕|(?P<y2>\d{4})年)第?(?P<number>\d+号)")


def doc_number_spellings(value: str) -> tuple[str, ...]:
    """The spellings a 发文字号 typed in full may be stored in, the typed one first: 法释〔2024〕1号
    is also written 法释〔2024〕第1号, 法释2024年1号 and 法释2024年第1号."""
    typed = normalize_doc_number(value)
    parts = _IN_FULL.fullmatch(typed)
    if parts is None:
        return (typed,)
    issuer, number = parts.group("issuer"), parts.group("number")
    year = parts.group("y1") or parts.group("y2")
    forms = [
        f"{issuer}〔{year}〕",
        f"{issuer}〔{year}〕第",
        f"{issuer}{year}年",
        f"{issuer}{year}年第",
    ]
    return tuple(dict.fromkeys([typed, *(form + number for form in forms)]))


# The part of a 索引号 after its unit's code (…/2021-00033): its year and serial number, of
# five digits or six, so that a range of years (2019-2020) is none.
INDEX_SERIAL = re.compile(r"\d{4}-\d{5,6}")
_ENDING_SERIAL = re.compile(rf"[/-]({INDEX_SERIAL.pattern})$")


def index_serial(index_number: str) -> str:
    """The year and serial number that end a 索引号, or "" when it ends otherwise."""
    found = _ENDING_SERIAL.search(index_number)
    return found.group(1) if found else ""
