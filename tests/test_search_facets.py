"""Facet counting over integer tables: the counts the search page lists beside the results."""

import numpy as np

from archive.search.facets import FacetTable


def documents(numbers) -> np.ndarray:
    return np.array(sorted(numbers), dtype=np.intp)


def test_counts_only_the_matched_documents_most_frequent_first():
    """A value counts once per matched document that has it; values no match has are left out."""
    table = FacetTable.of_documents([("italy", "libya"), ("libya",), ("tunisia",), ("libya", "tunisia")])

    assert table.count(documents({0, 1, 3})) == [("libya", 3), ("italy", 1), ("tunisia", 1)]


def test_equal_counts_are_listed_in_value_order():
    """Ties do not depend on the order documents were matched or indexed in."""
    table = FacetTable.of_documents([("zambia",), ("angola",), ("mali",)])

    assert table.count(documents([2, 0, 1])) == [("angola", 1), ("mali", 1), ("zambia", 1)]


def test_documents_without_a_value_count_for_nothing():
    """A document with no value for the facet adds to no count."""
    table = FacetTable.of_documents([(), ("reuters",), ()])

    assert table.count(documents({0, 1, 2})) == [("reuters", 1)]


def test_joined_segments_keep_each_document_at_its_offset():
    """Tables built per segment, joined at their offsets, count like one table over the whole index."""
    first = FacetTable.of_documents([("oil",), ("grain", "oil")])
    second = FacetTable.of_documents([("coffee",), ("grain",)])
    joined = FacetTable.joined([(0, first), (2, second)])

    assert joined.count(documents({1, 2, 3})) == [("grain", 2), ("coffee", 1), ("oil", 1)]
    assert np.array_equal(joined.docs, [0, 1, 1, 2, 3])


def test_no_matches_give_no_counts():
    """An empty match set lists no value at all."""
    table = FacetTable.of_documents([("oil",)])

    assert table.count(documents(set())) == []


def test_a_few_matches_among_many_documents_count_the_same():
    """Few matches read only their own entries; the counts are those of the whole-table way."""
    per_document = [("oil", "grain") if n % 3 else ("oil",) for n in range(400)] + [()] * 100
    table = FacetTable.of_documents(per_document)
    few, many = [1, 3, 7, 450], list(range(0, 500, 2))

    assert table.count(documents(few)) == [("oil", 3), ("grain", 2)]
    assert table.count(documents(many)) == [("oil", 200), ("grain", 133)]
