"""Words that are terms and exact phrases under AND and OR, matched and ranked with numpy."""

import pickle
from collections.abc import Callable, Iterable
from functools import reduce
from itertools import accumulate

import numpy as np
from whoosh import formats, query, scoring

from archive.search.whoosh_schema import TEXT_FIELDS
from archive.search.whoosh_snapshot import Postings, Snapshot


class TermTree:
    """Words that are terms and exact phrases under AND and OR, matched and ranked from whole posting blocks.

    Whoosh ranks by walking every posting through a tree of matchers, one
    Python call per posting and node, which cost 50-120 ms for common words at
    90,000 articles; its block-quality shortcut is no way out, as it dropped
    high-scoring documents from the top of such queries. Here the matches
    are array operations on each term's sorted document numbers and the
    mask of allowed documents (exact totals and facets; a phrase also checks
    its words' positions in the documents that have them all), and only the
    allowed matches are scored, with Whoosh's
    BM25F formula combined as its matchers combine it: a term's score where
    it matches, a phrase's the sum of its words' scores in its field, added
    up through AND and OR, times any boost. Whoosh orders those additions per
    segment, so its scores can differ from these in the last bit; identical
    documents score the same here. Prefixes, NOT, ranges and sloppy phrases
    go through Whoosh's own matchers instead.
    """

    def __init__(self, snapshot: "Snapshot", text_query: query.Query):
        self.snapshot = snapshot
        self.query = text_query
        self._postings: dict[tuple[str, str], Postings] = {}
        self._matches: dict[int, np.ndarray] = {}

    @classmethod
    def of(cls, text_query: query.Query, snapshot: "Snapshot") -> "TermTree | None":
        """The tree for ``text_query``, or None when it has other parts or the index scores otherwise."""
        if type(snapshot.searcher.weighting) is not scoring.BM25F or not _terms_and_phrases(text_query):
            return None
        return cls(snapshot, text_query)

    def matches(self, allowed: np.ndarray) -> np.ndarray:
        """The allowed documents the words match, in ascending order; ``allowed`` is a mask."""
        return self._match(self.query, allowed)

    def rank(self, matched: np.ndarray, limit: int) -> list[tuple[int, float]]:
        """The best ``limit`` of ``matched``, highest score first and ties in index order, like Whoosh.

        Scores are computed for all the matches at once with numpy, in the
        same float64 operations and order as Python would do them one by one.
        """
        docs, scores = matched, self._score(self.query, matched)
        if len(docs) > limit:
            lowest = np.partition(scores, len(scores) - limit)[len(scores) - limit]
            best = scores >= lowest
            docs, scores = docs[best], scores[best]
        order = np.lexsort((docs, -scores))[:limit]
        return [(int(docs[i]), float(scores[i])) for i in order]

    def _term(self, fieldname: str, text: str, *, positions: bool = False) -> "Postings":
        key = (fieldname, text)
        known = self._postings.get(key)
        if known is None or (positions and known.values is None):
            self._postings[key] = self.snapshot.term_postings(fieldname, text, positions=positions)
        return self._postings[key]

    def _match(self, node: query.Query, allowed: np.ndarray) -> np.ndarray:
        if type(node) is query.Term:
            ids = self._term(node.fieldname, node.text).ids
            found = ids[allowed[ids]]
        elif type(node) is query.Phrase:
            words = [self._term(node.fieldname, word, positions=True) for word in node.words]
            decode = _positions_decoder(self.snapshot.searcher.schema[node.fieldname].format)
            candidates = reduce(_intersection, (word.ids for word in words[1:]), words[0].ids[allowed[words[0].ids]])
            candidates = candidates.tolist()
            found = np.array(
                [
                    docnum
                    for docnum, *encoded in zip(
                        candidates, *(word.values_of(candidates) for word in words), strict=True
                    )
                    if _in_sequence([decode(value) for value in encoded])
                ],
                dtype=np.intp,
            )
        else:
            parts = [self._match(child, allowed) for child in node.subqueries]
            if type(node) is query.And:
                found = reduce(_intersection, parts)
            else:  # marking a mask is many times faster than np.unique for the tens of thousands of an OR
                union = np.zeros(len(allowed), dtype=bool)
                for part in parts:
                    union[part] = True
                found = np.flatnonzero(union)
        self._matches[id(node)] = found
        return found

    def _score(self, node: query.Query, docs: np.ndarray) -> np.ndarray:
        """Scores of ``docs``, all of which ``node`` matches."""
        if type(node) is query.Term:
            scores = self._term_scores(node.fieldname, node.text, docs)
        elif type(node) is query.Phrase:
            scores = _tree_sum([self._term_scores(node.fieldname, word, docs) for word in node.words])
        else:
            # A child adds its score where it matches and 0.0 elsewhere, which changes nothing.
            scores = np.zeros(len(docs))
            for child in node.subqueries:
                child_scores = self._score(child, docs)
                if type(node) is query.Or:
                    child_scores = np.where(self._matched_by(child, docs), child_scores, 0.0)
                scores = scores + child_scores
        if node.boost != 1.0:
            scores = scores * node.boost
        return scores

    def _matched_by(self, node: query.Query, docs: np.ndarray) -> np.ndarray:
        return np.isin(docs, self._matches[id(node)], assume_unique=True)

    def _term_scores(self, fieldname: str, text: str, docs: np.ndarray) -> np.ndarray:
        """BM25F of one term for each of ``docs`` (0.0 where the term is absent)."""
        searcher = self.snapshot.searcher
        postings = self._postings[(fieldname, text)]
        weights = np.zeros(searcher.doc_count_all())
        weights[postings.ids] = postings.weights
        weights = weights[docs]
        norms = self.snapshot.length_norms(fieldname)[docs]
        idf = searcher.idf(fieldname, searcher.schema[fieldname].to_bytes(text))
        k1_plus_one = searcher.weighting.K1 + 1
        # scoring.bm25 with the length part precomputed per document; the same float operations in the same order.
        return idf * ((weights * k1_plus_one) / (weights + norms))


def _intersection(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Document numbers in both ascending arrays of distinct numbers."""
    return np.intersect1d(first, second, assume_unique=True)


def _terms_and_phrases(node: query.Query) -> bool:
    if type(node) is query.Term:
        return node.fieldname in TEXT_FIELDS and not node.minquality
    if type(node) is query.Phrase:
        return node.fieldname in TEXT_FIELDS and node.slop == 1 and bool(node.words)
    if type(node) is query.And or (type(node) is query.Or and not node.scale and not node.minmatch):
        return bool(node.subqueries) and all(_terms_and_phrases(child) for child in node.subqueries)
    return False


def _in_sequence(positions: list) -> bool:
    """Whether the words occur one right after another somewhere: Whoosh's phrase match at slop 1."""
    first, *later = positions
    starts = set(first)
    for step, word_positions in enumerate(later, 1):
        starts.intersection_update([position - step for position in word_positions])
        if not starts:
            return False
    return True


def _positions_decoder(format_) -> Callable[[bytes], Iterable[int]]:
    """Whoosh's ``Positions.decode_positions`` without its Python loop: the value is a 4-byte
    count, then the pickled gaps between positions, the pickle's final STOP byte possibly left off."""
    if type(format_) is not formats.Positions:
        return format_.decode_positions

    def decode(value: bytes) -> Iterable[int]:
        return accumulate(pickle.loads(value[4:] if value.endswith(b".") else value[4:] + b"."))

    return decode


def _tree_sum(parts: list[np.ndarray]) -> np.ndarray:
    """Per-document sums in the order of Whoosh's binary tree of intersection matchers."""
    if len(parts) == 1:
        return parts[0]
    half = len(parts) // 2
    return _tree_sum(parts[:half]) + _tree_sum(parts[half:])
