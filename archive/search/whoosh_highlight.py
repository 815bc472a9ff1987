"""Search-result snippets with the query's words marked."""

import re
from functools import lru_cache
from html import escape

from whoosh import query
from whoosh.lang.porter import stem as porter_stem
from whoosh.support.charset import accent_map

from archive.search.whoosh_schema import TEXT_FIELDS

SNIPPET_CHARS = 240
SNIPPET_LEAD = 60


class Highlighter:
    """Marks the query's words in a text and cuts the snippet around the densest run of them.

    Whoosh's own highlighter runs the full analyser over every hit's body,
    which cost more than the search itself; here only words that share a
    first letter pair with a query term are stemmed, with a cache. The regex
    engine skips the other words: it finds the tokenizer's words that start
    with a query term's first letter in either case, or with a non-ASCII
    letter, whose folding the check below does in full. The pattern opens
    with that set of letters, so the engine scans for them in C; a word
    starts where no word character, nor word character and dot, precedes its
    first letter, which the lookbehinds check once that letter is read.
    """

    def __init__(self, text_query: query.Query):
        self.terms = {text for field, text in text_query.iter_all_terms() if field in TEXT_FIELDS}
        self.prefixes = tuple(leaf.text for leaf in text_query.leaves() if isinstance(leaf, query.Prefix))
        self.heads = {term[:2] for term in (*self.terms, *self.prefixes)}
        firsts = "".join(sorted({case(head[0]) for head in self.heads if head for case in (str.lower, str.upper)}))
        # The rest is the tokenizer's word pattern, \w+(?:\.?\w+)*, less its first letter.
        self.candidates = re.compile(rf"[{re.escape(firsts)}\x80-\U0010ffff](?<!\w\w)(?<!\w\.\w)(?<=\w)\w*(?:\.?\w+)*")

    def __call__(self, text: str) -> str:
        spans = []
        if self.heads:
            for match in self.candidates.finditer(text):
                folded = match.group().lower().translate(accent_map)
                if folded[:2] in self.heads and (
                    _stemmed(folded) in self.terms or (self.prefixes and folded.startswith(self.prefixes))
                ):
                    spans.append((match.start(), match.end()))
        if not spans:
            return _escape_excerpt(text, 0, SNIPPET_CHARS)
        best, best_count, last = 0, 0, 0
        for first in range(len(spans)):
            while last < len(spans) and spans[last][1] - spans[first][0] <= SNIPPET_CHARS:
                last += 1
            if last - first > best_count:
                best, best_count = first, last - first
        start = max(0, spans[best][0] - SNIPPET_LEAD)
        if start:
            space = text.find(" ", start, spans[best][0])
            start = space + 1 if space != -1 else start
        end = min(len(text), start + SNIPPET_CHARS)
        if end < len(text):
            space = text.rfind(" ", max(spans[best][1], start), end)
            end = space if space != -1 else end
        parts, position = ["…"] if start else [], start
        for span_start, span_end in spans:
            if span_start < start or span_end > end:
                continue
            parts.append(escape(text[position:span_start], quote=False))
            parts.append(f"<mark>{escape(text[span_start:span_end], quote=False)}</mark>")
            position = span_end
        parts.append(escape(text[position:end], quote=False))
        if end < len(text):
            parts.append("…")
        return "".join(parts)


@lru_cache(maxsize=100_000)
def _stemmed(word: str) -> str:
    return porter_stem(word)


def _escape_excerpt(text: str, start: int, length: int) -> str:
    excerpt = text[start : start + length]
    return escape(excerpt + ("…" if len(text) > start + length else ""), quote=False)
