"""Text helpers shared by the extractors: accent folding that keeps offsets, words and sentences."""

import re
import unicodedata


class _FoldTable(dict):
    """``str.translate`` table that folds each character to one lowercase, accent-free character.

    A character whose folded form is not exactly one character is kept as it
    is, so the folded text has the same length as the original and every
    offset found in it points at the same words in the original.
    """

    def __missing__(self, char_code: int) -> str:
        char = chr(char_code)
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        folded = base.lower() if len(base) == 1 else char.lower()
        if len(folded) != 1:
            folded = char
        folded = _PUNCTUATION.get(folded, folded)
        self[char_code] = folded
        return folded


# A line break or a tab inside a name ('Richard von\nWeizsaecker', as wire copy wraps it) reads as a space.
_PUNCTUATION = {
    "\u2019": "'",
    "\u2018": "'",
    "\u02bc": "'",
    "\u2010": "-",
    "\u2011": "-",
    "\u2013": "-",
    "\n": " ",
    "\t": " ",
}
_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Lowercase and strip accents, one character for one character."""
    return text.translate(_FOLD)


def unaccent(text: str) -> str:
    """Strip accents but keep the case, one character for one character."""
    return "".join(
        folded.upper() if char.isupper() and folded.upper() != folded and len(folded.upper()) == 1 else folded
        for char, folded in zip(text, fold(text), strict=True)
    )


WORD_RE = re.compile(r"[^\W_](?:[\w'.\-]*[^\W_])?\.?", re.UNICODE)
SENTENCE_END_RE = re.compile(r"[.!?][\"')\]]*\s+|\n\s*\n|\n\s{2,}")


def is_word_char(char: str) -> bool:
    return char.isalnum()


def is_shouting(text: str) -> bool:
    """An all-capitals text, such as a wire-service headline, says nothing through case."""
    return text.isupper()


def is_title_case(text: str) -> bool:
    """A headline with Every Word Capitalised: capitals there do not mark names."""
    words = [w for w in re.findall(r"[A-Za-z][\w'-]*", text) if len(w) > 3]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.8 * len(words)


def sentence_starts(text: str) -> set[int]:
    """Offsets where a sentence (or a paragraph) begins."""
    starts = {0}
    for match in SENTENCE_END_RE.finditer(text):
        starts.add(match.end())
    return {_skip_space(text, start) for start in starts}


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and (text[index].isspace() or text[index] in "\"'(\u201c\u2018"):
        index += 1
    return index


def previous_word(text: str, start: int) -> tuple[str, int, str]:
    """The word just before ``start``, its offset, and the characters between it and ``start``."""
    index = start
    while index > 0 and not text[index - 1].isalnum() and text[index - 1] not in ".":
        index -= 1
    gap = text[index:start]
    end = index
    while index > 0 and (text[index - 1].isalnum() or text[index - 1] in ".'-"):
        index -= 1
    return text[index:end], index, gap


def next_word(text: str, end: int) -> tuple[str, int, str]:
    """The word just after ``end``, its offset, and the characters between ``end`` and it."""
    index = end
    while index < len(text) and not text[index].isalnum():
        index += 1
    gap = text[end:index]
    start = index
    while index < len(text) and (text[index].isalnum() or text[index] in "'-"):
        index += 1
    return text[start:index], start, gap
