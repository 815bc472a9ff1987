"""Harvest a whole archive over OAI-PMH, as a harvester would, and measure it.

    python bench/oai.py --corpus ../shared/corpus/reuters21578 [--scale N] [--database-url URL] [--out report.json]

A fresh archive in a temporary directory (SQLite, or an empty PostgreSQL
database with ``--database-url``) is filled by ``import_articles --format
reuters --publish --no-suggest --no-index``, which writes the OAI-PMH
records in its own transactions (timed, as the cost those records add to an
import). gunicorn then serves it on a free port of 127.0.0.1 (one worker
process, two threads), and oaipmh-scythe harvests it: ListRecords from the
first page to the last, then ListIdentifiers of the largest tag set. Each
page is timed: a keyset page must cost as much at the end of the list as at
its start. Peak memory is polled for the server and read for this process.
"""

import argparse
import datetime as dt
import os
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
from oaipmh_scythe import Scythe
from oaipmh_scythe.config import HTTPConfig

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

from measure import POLL_SECONDS, print_report, run_measured, summarise  # noqa: E402
from reuters import corpus_files, scale_corpus  # noqa: E402

OAI = "{http://www.openarchives.org/OAI/2.0/}"
BOUND = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PeakMemory(threading.Thread):
    """The largest resident size the process tree (gunicorn and its workers) reaches while it is watched."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.process, self.peak, self.stop = psutil.Process(pid), 0, threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                members = [self.process, *self.process.children(recursive=True)]
                self.peak = max(self.peak, sum(member.memory_info().rss for member in members))
            except psutil.Error:
                pass
            time.sleep(POLL_SECONDS)


def serve(env: dict, work: Path, log) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--config", "gunicorn.conf.py"],
        cwd=ROOT,
        env={**env, "HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "2"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + BOUND
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, f"http://127.0.0.1:{port}/oai/"
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not start; see {work / 'gunicorn.log'}") from None
            time.sleep(0.2)


def harvest(scythe: Scythe, query: dict, item: str) -> dict:
    """Every page of a list, one request at a time, timed; checks that no identifier comes twice."""
    seen: set[str] = set()
    pages: list[float] = []
    first_size = None
    started = time.perf_counter()
    while True:
        page_started = time.perf_counter()
        response = scythe.harvest(query)
        pages.append(time.perf_counter() - page_started)
        identifiers = [node.text for node in response.xml.iterfind(f".//{OAI}{item}//{OAI}identifier")]
        if len(set(identifiers) | seen) != len(seen) + len(identifiers):
            raise SystemExit(f"{query['verb']}: an identifier came twice")
        seen.update(identifiers)
        token = response.xml.find(f".//{OAI}resumptionToken")
        if first_size is None and token is not None:
            first_size = int(token.get("completeListSize"))
        if token is None or not token.text:
            break
        query = {"verb": query["verb"], "resumptionToken": token.text}
    seconds = time.perf_counter() - started
    tenth = max(1, len(pages) // 10)
    return {
        "records": len(seen),
        "complete_list_size": first_size,
        "pages": len(pages),
        "seconds": round(seconds, 2),
        "records_per_second": round(len(seen) / seconds, 1),
        "page": summarise(pages),
        "first_page_ms": round(pages[0] * 1000, 2),
        "first_tenth_of_pages": summarise(pages[1 : 1 + tenth]),
        "last_tenth_of_pages": summarise(pages[-tenth:]),
    }


def import_corpus(corpus: Path, *, env: dict, work: Path) -> dict:
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True)
    files = [str(path) for path in corpus_files(corpus)]
    print(f"Importing {len(files)} files", file=sys.stderr)
    options = ["--format", "reuters", "--publish", "--no-suggest", "--no-index", "--no-progress"]
    imported = run_measured(
        [*manage, "import_articles", *options, *files], env=env, cwd=str(ROOT), log_path=work / "import.log"
    )
    if imported.returncode != 0:
        raise SystemExit(f"The import failed; see {work / 'import.log'}")
    return {"seconds": imported.wall_seconds, "cpu_seconds": imported.cpu_seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, required=True, help="A folder of Reuters-21578 .sgm files.")
    parser.add_argument("--scale", type=int, default=1, help="Copies of the corpus (new ids, shuffled words).")
    parser.add_argument("--page-size", type=int, default=100, help="ARCHIVE_OAI_PAGE_SIZE for the server.")
    parser.add_argument("--database-url", help="An empty database to use instead of SQLite in the work directory.")
    parser.add_argument("--workdir", type=Path, help="Work here (and keep it) instead of a new temporary directory.")
    parser.add_argument("--out", type=Path, help="Write the JSON report here.")
    parser.add_argument(
        "--no-import", action="store_true", help="Harvest the archive already in --database-url (with --workdir)."
    )
    args = parser.parse_args()
    if args.scale < 1 or args.page_size < 1:
        parser.error("--scale and --page-size must be at least 1")
    if args.no_import and not (args.database_url and args.workdir):
        parser.error("--no-import harvests an archive kept before: give its --database-url and --workdir")

    work = args.workdir or Path(tempfile.mkdtemp(prefix="archive-oai-bench-"))
    (work / "data").mkdir(parents=True, exist_ok=True)
    print(f"Working in {work}", file=sys.stderr)
    report = {"date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), "scale": args.scale}
    report["load_average_at_start"] = [round(value, 2) for value in os.getloadavg()]
    server = None
    try:
        corpus = args.corpus
        if args.scale > 1 and not args.no_import:
            corpus = work / "corpus"
            scale_corpus(args.corpus, corpus, times=args.scale)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "archive.settings",
            "ARCHIVE_DATA_DIR": str(work / "data"),
            "DATABASE_URL": args.database_url or f"sqlite:///{work / 'data' / 'archive.sqlite3'}",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_SECRET_KEY": secrets.token_hex(32),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "ARCHIVE_LOG_LEVEL": "WARNING",
            "DJANGO_LOG_LEVEL": "WARNING",
            "ARCHIVE_OAI_PAGE_SIZE": str(args.page_size),
        }
        report["database"] = "postgresql" if env["DATABASE_URL"].startswith("postgres") else "sqlite"
        if not args.no_import:
            report["import"] = import_corpus(corpus, env=env, work=work)

        with open(work / "gunicorn.log", "w") as log:
            server, endpoint = serve(env, work, log)
            watcher = PeakMemory(server.pid)
            watcher.start()
            print("Harvesting", file=sys.stderr)
            with Scythe(endpoint, http_config=HTTPConfig(timeout=120)) as scythe:
                scythe.identify()  # the worker's first request loads Django: not part of the harvest
                report["list_records"] = harvest(scythe, {"verb": "ListRecords", "metadataPrefix": "oai_dc"}, "header")
                sets = [item.setSpec for item in scythe.list_sets()]
                tag_sizes = {}
                for spec in (spec for spec in sets if spec.startswith("tag:")):
                    response = scythe.harvest({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": spec})
                    token = response.xml.find(f".//{OAI}resumptionToken")
                    tag_sizes[spec] = int(token.get("completeListSize")) if token is not None else 1
                largest = max(tag_sizes, key=tag_sizes.get)
                report["list_identifiers_of_a_set"] = {
                    "set": largest,
                    **harvest(
                        scythe, {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": largest}, "header"
                    ),
                }
            watcher.stop.set()
            watcher.join()
        report["server_peak_rss_mb"] = round(watcher.peak / 2**20, 1)
        report["harvester_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        report["load_average_at_end"] = [round(value, 2) for value in os.getloadavg()]
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=BOUND)
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    print_report(report, args.out)


if __name__ == "__main__":
    main()
