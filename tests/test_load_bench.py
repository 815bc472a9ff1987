"""bench/load.py: a real runserver under a few concurrent clients, its report, and the loopback-only rule.

The tiny run does not require zero errors: the server is known to answer
some searches with 500 under concurrent readers, which the load script is
there to measure.
"""

import json
import subprocess
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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
    [server] = report["servers"]
    assert server.startswith("http://127.0.0.1:")
    assert report["by_server"][server]["requests"] == report["requests"]


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


def test_one_non_loopback_url_among_several_is_refused():
    """Every --url must be this machine: one outside it refuses the whole run, naming its host."""
    urls = ["--url", "http://127.0.0.1:8000/", "--url", "http://192.0.2.10:8000/"]
    done = subprocess.run([sys.executable, str(LOAD), *urls], capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "--url refused: host '192.0.2.10' is not this machine" in done.stderr


@pytest.fixture
def counting_servers():
    """Two plain HTTP servers on loopback that answer 200 to anything and count the requests of each
    connection (a client keeps one connection open)."""
    counts, servers = [], []
    for _ in range(2):
        count = Counter()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self, count=count):
                count[self.client_address] += 1
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        counts.append(count)
        servers.append(server)
    yield [("127.0.0.1", server.server_address[1]) for server in servers], counts
    for server in servers:
        server.shutdown()
        server.server_close()


def test_clients_are_spread_over_several_servers(monkeypatch, counting_servers):
    """With two servers each gets the requests of two clients of four, and the report counts them under its URL."""
    monkeypatch.syspath_prepend(str(LOAD.parent))
    import load

    servers, counts = counting_servers
    samples, elapsed = load.load(
        servers, targets=load.Targets(), clients=4, processes=1, seconds=60, max_requests=200, timeout=10, seed=0
    )
    urls = [f"http://{host}:{port}/" for host, port in servers]
    result = load.report(samples, elapsed=elapsed, settings={"servers": urls}, targets=load.Targets())
    sys.modules.pop("load", None)
    assert [result["by_server"][url]["requests"] for url in urls] == [count.total() for count in counts]
    assert [len(count) for count in counts] == [2, 2]
    assert sum(count.total() for count in counts) == result["requests"] == 200
    assert result["non_200"]["total"] == 0


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
