"""bench/load.py: a real runserver under a few concurrent clients, its report, and the loopback-only rule.

The tiny run does not require zero errors: the server is known to answer
some searches with 500 under concurrent readers, which the load script is
there to measure.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

LOAD = Path(__file__).resolve().parent.parent / "bench" / "load.py"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Four clients in two processes for three seconds against runserver on a small synthetic archive."""
    data_dir = tmp_path_factory.mktemp("load") / "archive"
    command = [sys.executable, str(LOAD), str(data_dir), "--synthetic", "40"]
    command += ["--clients", "4", "--processes", "2", "--seconds", "3", "--max-requests", "400"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180)
    return done, json.loads(done.stdout), data_dir


def test_report_counts_add_up(run):
    """Every request is counted once under its kind, and the non-200 answers add up by status and by kind."""
    _, report, _ = run
    kinds = report["kinds"]
    assert 0 < report["requests"] <= 400
    assert sum(kind["requests"] for kind in kinds.values()) == report["requests"]
    failures = report["non_200"]
    assert sum(failures["by_status"].values()) == failures["total"]
    assert sum(sum(counts.values()) for counts in failures["by_kind"].values()) == failures["total"]
    assert failures["by_kind"] == {kind: counts["non_200"] for kind, counts in kinds.items() if counts["non_200"]}
    assert report["server_errors"] == sum(n for status, n in failures["by_status"].items() if status.startswith("5"))


def test_report_gives_throughput_and_ordered_percentiles(run):
    """Throughput is requests per second of the run, and p50 <= p95 <= p99 <= max, in milliseconds."""
    _, report, _ = run
    assert report["throughput_rps"] == pytest.approx(report["requests"] / report["elapsed_seconds"], rel=0.02)
    latency = report["latency_ms"]
    assert 0 < latency["p50"] <= latency["p95"] <= latency["p99"] <= latency["max"]
    assert (report["clients"], report["processes"], report["seconds"]) == (4, 2, 3.0)


def test_mix_covers_every_kind_of_page(run):
    """Searches, filtered and paged searches, suggestions, articles and browse pages are all asked for."""
    _, report, _ = run
    expected = {"search", "search-page", "search-facet", "search-dates", "suggest", "article", "browse"}
    assert set(report["kinds"]) == expected
    assert all(report["targets"][name] > 0 for name in ("actors", "places", "tags", "years", "articles"))


def test_exit_status_says_whether_the_server_failed(run):
    """The script exits 1 exactly when some answer was a 5xx or some request got none."""
    done, report, _ = run
    assert done.returncode == (1 if report["server_errors"] or report["no_answer"] else 0), done.stderr
    assert "req/s" in done.stderr


def test_server_runs_on_the_prepared_directory(run):
    """The archive is prepared in DIR and runserver's log, with any tracebacks, is kept there."""
    _, report, data_dir = run
    assert (data_dir / "archive.sqlite3").exists()
    assert report["server_log"] == str(data_dir / "runserver.log")
    assert report["target"].startswith("http://127.0.0.1:")


@pytest.mark.parametrize(
    "url",
    ["http://192.0.2.10:8000/", "http://example.com/", "http://localhost.example.com/", "http://[2001:db8::1]:80/"],
)
def test_non_loopback_url_is_refused(url):
    """A target outside 127.0.0.0/8, localhost and ::1 is refused before any request, naming the host."""
    done = subprocess.run([sys.executable, str(LOAD), "--url", url], capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "is not this machine: load.py only targets loopback addresses (127.0.0.0/8, localhost or ::1)" in (
        done.stderr
    )


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("http://127.0.0.1:8000/", ("127.0.0.1", 8000)),
        ("http://127.8.9.10/", ("127.8.9.10", 80)),
        ("http://localhost:81/", ("localhost", 81)),
        ("http://[::1]:82/", ("::1", 82)),
    ],
)
def test_loopback_urls_are_accepted(monkeypatch, url, target):
    """127.0.0.0/8, localhost and ::1 are this machine; their host and port are the target."""
    monkeypatch.syspath_prepend(str(LOAD.parent))
    import load

    assert load.loopback_target(url) == target
    sys.modules.pop("load", None)
