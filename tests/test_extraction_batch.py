"""Extracting a batch of stories with a forked helper: same proposals, in order, and failures told."""

import datetime as dt
import os

import pytest

from archive.extraction import batch
from archive.extraction.authorities import authority_index
from archive.extraction.batch import ExtractionHelperError, Story, extract_stories
from archive.extraction.dates import PATTERNS
from archive.extraction.pipeline import Proposal, extract
from archive.models import SuggestionKind
from tests.extraction_support import authorities  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("authorities")]

needs_fork = pytest.mark.skipif(not batch._can_share(), reason="needs the fork start method and two cores")

BODIES = [
    "Italy's government said on Monday it would let the United States fly drones from Sigonella.",
    "Talks in Tunis last week brought no agreement on Libya, the French minister said yesterday.",
    "Mario Brodersohn, Argentina's finance secretary, said on March 3, 1987 that Brodersohn would stay.",
    "Prices rose in Germany and Britain in February 1987, the figures showed.",
]


def _stories(count: int) -> list[Story]:
    return [
        Story(f"STORY {n}", BODIES[n % len(BODIES)], "ROME, Feb 24 -" if n % 2 else "", dt.date(1987, 3, 12))
        for n in range(count)
    ]


def _marked_by_process(**kwargs) -> list[Proposal]:
    return [Proposal(SuggestionKind.NEW_PERSON, 0.5, candidate_name=f"{kwargs['title']} {os.getpid()}")]


@needs_fork
def test_a_shared_batch_gives_the_same_proposals_in_the_same_order(monkeypatch, settings):
    """With the helper reading half the stories, each story gets exactly what ``extract`` alone gives it."""
    settings.ARCHIVE_SUGGEST_SHARED_FROM = 2
    stories = _stories(9)
    index = authority_index()
    alone = [
        extract(title=s.title, body=s.body, dateline=s.dateline, published=s.published, index=index) for s in stories
    ]
    assert extract_stories(stories, index=index) == alone


@needs_fork
def test_the_second_half_is_read_by_another_process(monkeypatch, settings):
    """The first half is read here and the second in the helper, and the answers come back in story order."""
    settings.ARCHIVE_SUGGEST_SHARED_FROM = 2
    monkeypatch.setattr(batch, "extract", _marked_by_process)
    found = extract_stories(_stories(6), index=authority_index())
    titles = [proposals[0].candidate_name.split()[1] for proposals in found]
    pids = [proposals[0].candidate_name.split()[2] for proposals in found]
    assert titles == ["0", "1", "2", "3", "4", "5"]
    assert pids[:3] == [str(os.getpid())] * 3
    assert str(os.getpid()) not in pids[3:]


def test_a_small_batch_is_read_here(monkeypatch, settings):
    """Below ``ARCHIVE_SUGGEST_SHARED_FROM`` stories no helper is forked."""
    settings.ARCHIVE_SUGGEST_SHARED_FROM = 4
    monkeypatch.setattr(batch, "extract", _marked_by_process)
    found = extract_stories(_stories(3), index=authority_index())
    assert {proposals[0].candidate_name.split()[2] for proposals in found} == {str(os.getpid())}


def test_a_batch_read_outside_the_main_thread_is_read_here(monkeypatch, settings):
    """An admin upload runs in a web server's thread: no helper is forked from there."""
    import threading

    settings.ARCHIVE_SUGGEST_SHARED_FROM = 2
    monkeypatch.setattr(batch, "extract", _marked_by_process)
    index, found = authority_index(), []
    reader = threading.Thread(target=lambda: found.extend(extract_stories(_stories(6), index=index)))
    reader.start()
    reader.join()
    assert {proposals[0].candidate_name.split()[2] for proposals in found} == {str(os.getpid())}


def test_zero_reads_every_batch_here(monkeypatch, settings):
    """``ARCHIVE_SUGGEST_SHARED_FROM = 0`` turns the helper off, however large the batch."""
    settings.ARCHIVE_SUGGEST_SHARED_FROM = 0
    monkeypatch.setattr(batch, "extract", _marked_by_process)
    found = extract_stories(_stories(200), index=authority_index())
    assert {proposals[0].candidate_name.split()[2] for proposals in found} == {str(os.getpid())}


@needs_fork
def test_an_error_in_the_helper_is_raised_here(monkeypatch, settings):
    """The helper's exception reaches the caller, which then stores nothing for the batch."""
    settings.ARCHIVE_SUGGEST_SHARED_FROM = 2
    parent = os.getpid()

    def failing_in_the_helper(**kwargs):
        if os.getpid() != parent:
            raise ValueError("no automaton in the helper")
        return []

    monkeypatch.setattr(batch, "extract", failing_in_the_helper)
    with pytest.raises(ValueError, match="no automaton in the helper"):
        extract_stories(_stories(4), index=authority_index())


@needs_fork
def test_a_helper_that_dies_is_reported(monkeypatch, settings):
    """A helper killed before it answers raises an error naming its exit status, never a short result."""
    settings.ARCHIVE_SUGGEST_SHARED_FROM = 2
    parent = os.getpid()

    def dying_in_the_helper(**kwargs):
        if os.getpid() != parent:
            os._exit(9)
        return []

    monkeypatch.setattr(batch, "extract", dying_in_the_helper)
    with pytest.raises(ExtractionHelperError, match=r"stopped \(status 9\) before sending its proposals"):
        extract_stories(_stories(4), index=authority_index())


@pytest.mark.parametrize(
    "text",
    [
        "On March 3, 1987, and on 3 March 1987, in February 1987, since May, in 1986, yesterday, today, "
        "tomorrow, last week, this month, next year, earlier this year, on Monday, last Friday, Sunday, "
        "Sept 30, Dec. 1, during January, end of June",
    ],
)
def test_every_date_pattern_match_holds_one_of_its_cue_words(text):
    """A pattern is skipped for a story without its cue words, so each of its matches must contain one."""
    for name, pattern, cues in PATTERNS:
        matches = [match.group() for match in pattern.finditer(text)]
        assert matches, f"the sample has no {name} date"
        if cues:
            assert all(any(cue in match for cue in cues) for match in matches), name
