"""What a forked helper process does first, so that it never outlives, or talks over, the process it serves.

An import forks helpers (the background indexer, the extraction helper).
Ctrl-C sends SIGINT to the whole process group: a helper ignores it and
lets its parent coordinate the shutdown, so the terminal shows the parent's
one message and no helper's traceback. On Linux a helper also asks the
kernel to signal it when its parent dies, so that a ``kill -9`` of the
import leaves no helper behind.
"""

import ctypes
import os
import signal
import sys
from collections.abc import Callable
from contextlib import contextmanager

PR_SET_PDEATHSIG = 1


@contextmanager
def interrupts_held():
    """Around a fork: SIGINT waits in both processes, so a Ctrl-C cannot reach the child before it ignores it."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def become_helper(parent_pid: int, *, on_parent_death: signal.Signals | None = None) -> None:
    """Ignore Ctrl-C, and with ``on_parent_death`` receive that signal when the parent dies (Linux only).

    Call it first thing in a child forked inside ``interrupts_held``. Without
    ``on_parent_death`` the child must watch ``os.getppid()`` itself.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    if on_parent_death is None:
        return
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(on_parent_death))
    if os.getppid() != parent_pid:
        # The parent died before the kernel was asked to tell us.
        os.kill(os.getpid(), on_parent_death)


def run_as_helper(target: Callable, *args) -> None:
    """``target(*args)`` as a helper that ignores Ctrl-C; for a target that watches ``os.getppid()`` itself."""
    become_helper(os.getppid())
    target(*args)
