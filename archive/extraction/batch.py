"""Reading a batch of stories on two cores: a forked helper takes the second half.

An import spends most of a batch's suggestion time in ``extract``, pure Python
on one core while the other waits for the index writer's next batch. A helper
forked for the batch inherits the authority index as the caller sees it (with
the records the caller's open transaction has just created), reads its share
and sends back only the proposals; it never touches the database, so the
caller stores every proposal in its own transaction as before.
"""

import datetime as dt
import gc
import logging
import multiprocessing
import os
import signal
import threading
from dataclasses import dataclass

from django.conf import settings

from archive.extraction.authorities import AuthorityIndex
from archive.extraction.pipeline import Proposal, extract
from archive.processes import become_helper, interrupts_held

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Story:
    title: str
    body: str
    dateline: str
    published: dt.date | None


class ExtractionHelperError(RuntimeError):
    """The helper process stopped without sending its proposals back."""


def extract_stories(stories: list[Story], *, index: AuthorityIndex) -> list[list[Proposal]]:
    """``extract`` for each story, in order; with enough stories and a second core, half in a forked helper.

    ``ARCHIVE_SUGGEST_SHARED_FROM`` says how many are enough (below it a fork costs more than it saves).
    """
    shared_from = settings.ARCHIVE_SUGGEST_SHARED_FROM
    if not shared_from or len(stories) < shared_from or not _can_share():
        return _extract_each(stories, index)
    half = len(stories) // 2
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    helper = context.Process(
        target=_helper,
        args=(receiver, sender, stories[half:], index, os.getpid()),
        name="archive-extraction",
        daemon=True,
    )
    # The helper's garbage collector would otherwise touch, and so copy, every page of this process's heap.
    gc.freeze()
    try:
        with interrupts_held():
            helper.start()
    finally:
        gc.unfreeze()
    sender.close()
    try:
        first = _extract_each(stories[:half], index)
        try:
            outcome = receiver.recv()
        except EOFError:
            helper.join(timeout=5)  # it closed the pipe by dying: wait for its status
            raise ExtractionHelperError(
                f"The extraction helper stopped (status {helper.exitcode}) before sending its proposals."
            ) from None
    finally:
        receiver.close()
        if helper.is_alive():
            helper.terminate()
        helper.join()
    if isinstance(outcome, BaseException):
        raise outcome
    return first + outcome


def _can_share() -> bool:
    """Two cores, fork, and the main thread: a fork from another thread (an admin upload running in
    a web server's thread) copies whatever locks the server's other threads hold at that moment."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return (
        cores > 1
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.current_thread() is threading.main_thread()
    )


def _extract_each(stories: list[Story], index: AuthorityIndex) -> list[list[Proposal]]:
    return [
        extract(title=story.title, body=story.body, dateline=story.dateline, published=story.published, index=index)
        for story in stories
    ]


def _helper(receiver, sender, stories: list[Story], index: AuthorityIndex, parent_pid: int) -> None:
    """Read the stories and send the proposals back; it dies with the caller, and leaves Ctrl-C to it.

    It touches no database, so being killed with its caller costs nothing.
    Closing its copy of the reading end matters: while it stayed open, a
    helper whose caller was killed blocked for ever sending into a full pipe.
    """
    become_helper(parent_pid, on_parent_death=signal.SIGKILL)
    receiver.close()
    try:
        outcome = _extract_each(stories, index)
    except Exception as exc:
        logger.exception("The extraction helper failed")
        outcome = exc
    try:
        sender.send(outcome)
    except BrokenPipeError:
        return  # The caller is gone (where the kernel cannot kill us with it).
    sender.close()
