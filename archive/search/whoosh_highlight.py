"""Search-result snippets with the query's words marked."""

import re
from functools import lru_cache

from whoosh import query
from whoosh.lang.porter import stem as porter_stem
from whoosh.support.charset import accent_map

from archive.search.snippets import snippet
from archive.search.whoosh_schema import TEXT_FIELDS


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
        return snippet(text, spans)


@lru_cache(maxsize=100_000)
def _stemmed(word: str) -> str:
    return porter_stem(word)
