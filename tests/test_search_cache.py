"""The size-bounded cache that keeps what searches decode from index segments."""

from archive.search.cache import SizedCache


def test_the_least_recently_used_entries_go_when_the_limit_is_passed():
    cache = SizedCache(100)
    cache.put("a", "A", 40)
    cache.put("b", "B", 40)
    cache.get("a")
    cache.put("c", "C", 40)

    assert (cache.get("a"), cache.get("b"), cache.get("c")) == ("A", None, "C")
    assert cache.size == 80


def test_a_value_larger_than_the_limit_is_not_kept_and_pushes_nothing_out():
    cache = SizedCache(100)
    cache.put("a", "A", 40)
    cache.put("huge", "H", 101)

    assert (cache.get("a"), cache.get("huge")) == ("A", None)


def test_putting_a_key_again_replaces_its_value_and_size():
    cache = SizedCache(100)
    cache.put("a", "old", 60)
    cache.put("a", "new", 30)

    assert (cache.get("a"), cache.size, len(cache)) == ("new", 30, 1)


def test_a_limit_of_zero_keeps_nothing():
    cache = SizedCache(0)
    cache.put("a", "A", 1)

    assert cache.get("a") is None
