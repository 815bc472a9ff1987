"""Facet counting over integer tables: the counts the search page lists beside the results."""

import numpy as np

from archive.search.facets import FacetTable, matched_mask


def test_counts_only_the_matched_documents_most_frequent_first():
    """A value counts once per matched document that has it; values no match has are left out."""
    table = FacetTable.of_documents([("italy", "libya"), ("libya",), ("tunisia",), ("libya", "tunisia")])

    assert table.count(matched_mask({0, 1, 3}, 4)) == [("libya", 3), ("italy", 1), ("tunisia", 1)]


def test_equal_counts_are_listed_in_value_order():
    """Ties do not depend on the order documents were matched or indexed in."""
    table = FacetTable.of_documents([("zambia",), ("angola",), ("mali",)])

    assert table.count(matched_mask([2, 0, 1], 3)) == [("angola", 1), ("mali", 1), ("zambia", 1)]


def test_documents_without_a_value_count_for_nothing():
    """A document with no value for the facet adds to no count."""
    table = FacetTable.of_documents([(), ("reuters",), ()])

    assert table.count(matched_mask({0, 1, 2}, 3)) == [("reuters", 1)]


def test_joined_segments_keep_each_document_at_its_offset():
    """Tables built per segment, joined at their offsets, count like one table over the whole index."""
    first = FacetTable.of_documents([("oil",), ("grain", "oil")])
    second = FacetTable.of_documents([("coffee",), ("grain",)])
    joined = FacetTable.joined([(0, first), (2, second)])

    assert joined.count(matched_mask({1, 2, 3}, 4)) == [("grain", 2), ("coffee", 1), ("oil", 1)]
    assert np.array_equal(joined.docs, [0, 1, 1, 2, 3])


def test_no_matches_give_no_counts():
    """An empty match set lists no value at all."""
    table = FacetTable.of_documents([("oil",)])

    assert table.count(matched_mask(set(), 1)) == []
