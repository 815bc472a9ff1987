"""The index follows the database when several processes and threads write and search at once.

These tests run real processes (forked, sharing the test database and the
index directory, as web workers and a worker on one host do) and real
threads, on each search engine. Each is bounded in count and time.
"""

import json
import multiprocessing
import random
import threading

import pytest
from django.core.management import call_command
from django.db import connections

from archive.models import Article, PendingIndexUpdate
from archive.search import get_backend, indexing
from archive.search.base import SearchQuery
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db(transaction=True)

WRITERS = 4
EDITS_PER_WRITER = 30
ARTICLES = 60
TIMEOUT = 120


def _fork():
    return multiprocessing.get_context("fork")


def _in_child(target, *args):
    """Run ``target`` in a forked process with its own database connection and its own index handles."""
    connections.close_all()
    get_backend.cache_clear()
    target(*args)
    connections.close_all()


def _run_processes(target, args_list) -> None:
    connections.close_all()
    processes = [_fork().Process(target=_in_child, args=(target, *args)) for args in args_list]
    for process in processes:
        process.start()
    for process in processes:
        process.join(TIMEOUT)
    for process in processes:
        if process.is_alive():
            process.kill()
    assert [process.exitcode for process in processes] == [0] * len(processes)


def _edit_articles(writer: int, article_ids: list[int]) -> None:
    """As an archivist's saves do, one committed change after another: a new title word, then a tag."""
    rng = random.Random(writer)
    for edit in range(EDITS_PER_WRITER):
        article = Article.objects.get(pk=rng.choice(article_ids))
        article.title = f"{article.title} w{writer}x{edit}"
        article.save()
        article.tags.add(f"t{writer}x{edit}")


def _import_articles(count: int) -> None:
    """New articles written and indexed in batches by the import's own path, as the web server's saves do."""
    with indexing.collected():
        for number in range(count):
            ArticleFactory(title=f"Imported story {number}", body=f"Wheat harvest {number} in Kansas.")
    indexing.flush()


def _import_command(path) -> None:
    """``import_articles``, whose forked indexer holds the index through long bulk sessions."""
    call_command("import_articles", str(path), "--publish", "--no-suggest", "--no-progress", "--batch-size", "50")


def _jsonl(path, count: int):
    lines = (
        json.dumps(
            {
                "id": f"wire-{n}",
                "title": f"Wheat harvest {n}",
                "body": f"Kansas wheat harvest {n}.",
                "published": "1987-03-02",
            }
        )
        for n in range(count)
    )
    path.write_text("\n".join(lines) + "\n")
    return path


def _drain() -> None:
    """What the retry timer does in a running archive: apply what a lock timeout left queued."""
    get_backend.cache_clear()
    indexing.process_queue()


def test_concurrent_writers_lose_no_update(each_engine, tmp_path):
    """Four processes editing overlapping articles and their tags, beside an import: every edit is in the index."""
    ids = [ArticleFactory(title=f"Story {n}", body=f"Crude oil prices {n}.").pk for n in range(ARTICLES)]
    indexing.process_queue()
    feed = _jsonl(tmp_path / "feed.jsonl", 600)

    _run_processes(
        lambda job: _edit_articles(job, ids) if job < WRITERS else _import_command(feed),
        [(job,) for job in range(WRITERS + 1)],
    )
    _drain()

    report = indexing.check_index()
    assert (report.missing, report.stale, report.extra) == ([], [], [])
    assert PendingIndexUpdate.objects.count() == 0
    backend = get_backend()
    for writer in range(WRITERS):
        for edit in range(EDITS_PER_WRITER):
            word, tag = f"w{writer}x{edit}", f"t{writer}x{edit}"
            assert backend.search(SearchQuery(text=word)).total == 1, word
            assert backend.search(SearchQuery(tags=(tag,))).total == 1, tag
    assert backend.search(SearchQuery(text="kansas")).total == 600


def test_threads_searching_while_another_process_commits(each_engine):
    """Many threads of one process search one backend while another process writes and merges: no exception."""
    for n in range(ARTICLES):
        ArticleFactory(title=f"Story {n}", body=f"Crude oil prices {n} and wheat.", tags=[f"tag{n % 5}"])
    indexing.process_queue()
    backend = get_backend()
    queries = [
        SearchQuery(text="oil", facets=("actor", "place", "tag", "year")),
        SearchQuery(text="crude prices", page=2, per_page=5),
        SearchQuery(text="whe*"),
        SearchQuery(text='"oil prices" OR wheat', sort="newest"),
        SearchQuery(tags=("tag1",), facets=("tag",)),
    ]
    errors: list[BaseException] = []
    stop = threading.Event()

    def search() -> None:
        rng = random.Random()
        try:
            while not stop.is_set():
                backend.search(rng.choice(queries))
                backend.suggest_terms("cr")
                backend.more_like(rng.randrange(1, ARTICLES))
        except BaseException as exc:
            errors.append(exc)
        finally:
            # Each thread has its own database connection (the PostgreSQL engine searches through it).
            connections.close_all()

    threads = [threading.Thread(target=search) for _ in range(8)]
    for thread in threads:
        thread.start()
    try:
        _run_processes(_import_articles, [(150,)])
        _run_processes(lambda: get_backend().compact(), [()])
    finally:
        stop.set()
        for thread in threads:
            thread.join(TIMEOUT)
    assert errors == []
