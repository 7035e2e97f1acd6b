"""Articles of laws, as people cite them and as the laws head them.

A citation may write the number in Chinese or Arabic numerals, or digit by digit (第五〇九条);
the laws head an article in Chinese numerals (第五百零九条, 第三十条之一). `article_heading`
turns the one into the other, and `heading_article` reads which article a section is.
"""

from __future__ import annotations

import re

NUMERAL = "(?:[零〇一二三四五六七八九十百千两]+|\\d+)"
ARTICLE_NUMBER = rf"{NUMERAL}条(?:之[一二三四五六七八九十]+)?"
ARTICLE = re.compile(rf"第{ARTICLE_NUMBER}")
_DIGITS = re.compile(r"\d+")
# Numerals written digit by digit (五〇九 for 509), as years are: no unit among them.
_DIGIT_BY_DIGIT = re.compile("[零〇一二三四五六七八九]{2,}")
_DIGIT_VALUES = str.maketrans("零〇一二三四五六七八九", "00123456789")


def article_heading(reference: str) -> str:
    """An article as the laws head it: 第509条, 509条 and 第五〇九条 -> 第五百零九条."""
    reference = reference if reference.startswith("第") else "第" + reference
    numeral, rest = reference[1:].split("条", 1)
    if _DIGIT_BY_DIGIT.fullmatch(numeral):
        reference = f"第{numeral.translate(_DIGIT_VALUES)}条{rest}"
    if not _DIGITS.search(reference):
        return reference
    import cn2an  # takes 0.1 s to load: only for a query that cites an article by number

    try:
        return _DIGITS.sub(lambda m: cn2an.an2cn(m.group()), reference)
    except ValueError:  # beyond the 16 digits cn2an reads: no law has such an article
        return reference


def heading_article(heading: str) -> str:
    """The article a section is, as the laws head it, when its heading starts with one
    (第三百五十八条, 第三百五十八条 【组织卖淫罪】); else "". A heading that only mentions an
    article (四十二、将刑法第三百五十八条修改为) is not that article."""
    found = ARTICLE.match(heading.strip())
    return article_heading(found.group()) if found else ""
