"""kill -9 at any point of a rebuild or a compaction, then run it again: the same index as an uninterrupted run.

Each case forks a process that runs the real command and kills itself with
SIGKILL the moment it reaches the named point (no cleanup, no ``finally``),
as a power cut or the kernel's OOM killer would.
"""

import signal

import pytest
from django.core.management import CommandError, call_command
from whoosh.writing import SegmentWriter

from archive.search import get_backend, indexing, whoosh_backend
from archive.search.base import SearchQuery
from tests.crash_support import killed_at, run_killed
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db(transaction=True)

ARTICLES = 120


def _run_killed(point, work) -> int:
    def checkpointing_point():
        whoosh_backend.REBUILD_CHECKPOINT = 50
        point()

    return run_killed(checkpointing_point, work)


def _rebuild():
    call_command("rebuild_index", batch_size=20, verbosity=0)


def _compact():
    whoosh_backend.COMPACT_SEGMENTS = 2
    get_backend().compact()


def _index_state():
    backend = get_backend()
    return backend.fingerprints(), backend.search(SearchQuery(text="oil", per_page=200)).total


@pytest.fixture
def articles(settings):
    settings.ARCHIVE_SEARCH["OPTIONS"]["WRITER_MEMORY_MB"] = 4
    for number in range(ARTICLES):
        ArticleFactory(title=f"Story {number}", body=f"Crude oil prices {number}.")
        indexing.process_queue()  # one segment per article, so a compaction has work to do
    get_backend.cache_clear()
    return _index_state()


REBUILD_POINTS = {
    "while writing the first batch": lambda: killed_at(whoosh_backend, "to_whoosh", call=10),
    "after a checkpoint": lambda: killed_at(whoosh_backend, "to_whoosh", call=70),
    "with the last segment written, before its table of contents": lambda: killed_at(
        SegmentWriter, "_commit_toc", call=2
    ),
    "in the swap, before the new index is live": lambda: killed_at(
        whoosh_backend.WhooshBackend, "_point_live_at", call=1
    ),
    "after the swap, before the queue is drained": lambda: killed_at(indexing, "process_queue", call=1),
}


@pytest.mark.parametrize("point", REBUILD_POINTS, ids=list(REBUILD_POINTS))
def test_rebuild_killed_then_rerun_gives_the_uninterrupted_index(articles, point):
    """A rebuild killed at this point and run again leaves the index it would have built, and check_index clean."""
    assert _run_killed(REBUILD_POINTS[point], _rebuild) == -signal.SIGKILL
    get_backend.cache_clear()
    _rebuild()
    assert _index_state() == articles
    assert indexing.check_index().clean
    backend = get_backend()
    assert [path for path in backend.generations.iterdir() if path.is_dir()] == [backend.path.resolve()]


def test_compaction_killed_leaves_a_whole_index(articles):
    """A compaction killed before its table of contents leaves the index as it was; the next one completes."""
    assert _run_killed(lambda: killed_at(SegmentWriter, "_commit_toc", call=1), _compact) == -signal.SIGKILL
    get_backend.cache_clear()
    assert _index_state() == articles
    _compact()
    assert _index_state() == articles
    assert indexing.check_index().clean


def test_a_second_rebuild_at_once_is_refused(articles):
    """Two rebuilds would write the same building directory: the second stops with a clear message."""
    steps = indexing.rebuild_index(batch_size=20)
    next(steps)
    with pytest.raises(whoosh_backend.SearchBackendError, match="another rebuild is running"):
        list(indexing.rebuild_index(batch_size=20))
    list(steps)
    assert indexing.check_index().clean


def test_rebuild_command_refuses_while_another_rebuild_runs(articles):
    """The command names the reason instead of printing a traceback."""
    steps = indexing.rebuild_index(batch_size=20)
    next(steps)
    with pytest.raises(CommandError, match="The index was not rebuilt: another rebuild is running"):
        _rebuild()
    list(steps)
