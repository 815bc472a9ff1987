"""Kill a forked process with SIGKILL at a named point, as a power cut or the OOM killer would."""

import multiprocessing
import os
import signal

from django.db import connections

from archive.search import get_backend

TIMEOUT = 120


def killed_at(owner, name: str, call: int = 1) -> None:
    """Patch ``owner.name`` so that its ``call``-th call kills this process before it runs."""
    original = getattr(owner, name)
    calls = [0]

    def dying(*args, **kwargs):
        calls[0] += 1
        if calls[0] == call:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(*args, **kwargs)

    setattr(owner, name, dying)


def run_killed(point, work) -> int:
    """Run ``work`` in a forked process that dies at ``point`` (no cleanup, no ``finally``); its exit code."""
    connections.close_all()

    def child():
        get_backend.cache_clear()
        point()
        work()
        os._exit(0)

    process = multiprocessing.get_context("fork").Process(target=child)
    process.start()
    process.join(TIMEOUT)
    return process.exitcode
