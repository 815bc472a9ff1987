"""Moving an archive from SQLite and the Whoosh engine to PostgreSQL, step by step as the README's *Deploying* says.

    python bench/move_to_postgres.py --corpus ../shared/corpus/reuters21578 --scale 6 \\
        --target postgres://postgres@127.0.0.1:5432/archive_move [--workdir DIR] [--no-suggest] [--out FILE]

The corpus (multiplied as in ``run.py``; ``--scaled DIR`` reuses copies
written before) is imported into a fresh SQLite archive with the Whoosh
engine, suggestions and index included, as an archive built on one machine
would be; with ``--workdir``, an archive already imported there is reused.
Then each step of the move is measured like ``rebuild_scale.py``'s (wall and
CPU time, peak memory of the largest process and of the process tree):
``copy_to_postgres`` into ``--target``, which must be an empty database;
``rebuild_index`` with ``ARCHIVE_SEARCH_BACKEND=postgres``; and
``check_index``, which must find the index clean. The PostgreSQL server
process that receives the copy is watched too (its unique set size): the
copy is one transaction, and the server keeps a deferred foreign-key check
for every row it inserts until the commit.
"""

import argparse
import datetime as dt
import os
import secrets
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import psycopg

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

from measure import print_report  # noqa: E402
from rebuild_scale import measured  # noqa: E402
from reuters import corpus_files, scale_corpus  # noqa: E402
from run import machine  # noqa: E402

POLL_SECONDS = 0.2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, help="A folder of Reuters-21578 .sgm files.")
    parser.add_argument("--scale", type=int, default=1, help="Copies of the corpus (6 gives 108,000 stories).")
    parser.add_argument("--scaled", type=Path, help="A folder of copies written before (instead of --corpus).")
    parser.add_argument("--target", required=True, help="An empty PostgreSQL database to move the archive into.")
    parser.add_argument("--no-suggest", action="store_true", help="Import without suggested access points.")
    parser.add_argument("--workdir", type=Path, help="Work here (kept, and reused) instead of a temporary directory.")
    parser.add_argument("--out", type=Path, help="Write the JSON report here.")
    args = parser.parse_args()

    work = args.workdir or Path(tempfile.mkdtemp(prefix="archive-move-"))
    data = work / "data"
    data.mkdir(parents=True, exist_ok=True)
    report = {"date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine()}
    base = dict(os.environ)
    base.update(
        DJANGO_SETTINGS_MODULE="archive.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_hex(32),
        ARCHIVE_LOG_LEVEL="WARNING",
    )
    source = {**base, "ARCHIVE_DATA_DIR": str(data), "DATABASE_URL": f"sqlite:///{data / 'archive.sqlite3'}"}
    source["ARCHIVE_SEARCH_BACKEND"] = "whoosh"
    target = {**base, "ARCHIVE_DATA_DIR": str(work / "target"), "DATABASE_URL": args.target}
    target["ARCHIVE_SEARCH_BACKEND"] = "postgres"
    try:
        if not (data / "archive.sqlite3").exists():
            report["import"] = import_archive(args, work, source)
        print("Copying the archive into PostgreSQL", file=sys.stderr)
        watcher = ServerWatcher(args.target)
        watcher.start()
        try:
            report["copy_to_postgres"] = measured(
                ["copy_to_postgres", "-v", "0", args.target], env=source, work=work, name="copy.log"
            )
        finally:
            report["copy_to_postgres"] = {**report.get("copy_to_postgres", {}), **watcher.stop()}
        print("Rebuilding the index on the PostgreSQL engine", file=sys.stderr)
        report["rebuild_index"] = measured(["rebuild_index", "-v", "0"], env=target, work=work, name="rebuild.log")
        report["check_index"] = measured(["check_index", "-v", "0"], env=target, work=work, name="check.log")
        report["machine"]["load_average_at_end"] = [round(value, 2) for value in os.getloadavg()]
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    print_report(report, args.out)


def import_archive(args, work: Path, env: dict) -> dict:
    corpus = args.scaled
    if corpus is None:
        if not args.corpus:
            raise SystemExit("give --corpus (and --scale) or --scaled, or a --workdir with an imported archive")
        corpus = work / "corpus"
        scale_corpus(args.corpus, corpus, times=args.scale)
    measured(["migrate", "--noinput", "-v", "0"], env=env, work=work, name="migrate.log")
    files = [str(path) for path in corpus_files(corpus)]
    print(f"Importing {len(files)} files into SQLite with the Whoosh engine", file=sys.stderr)
    options = ["--no-suggest"] if args.no_suggest else []
    return measured(
        ["import_articles", "--format", "reuters", "--publish", "--no-progress", *options, *files],
        env=env,
        work=work,
        name="import.log",
    )


class ServerWatcher:
    """The peak unique memory of the PostgreSQL server processes serving the target database."""

    def __init__(self, url: str):
        self.url, self.peak, self.done = url, 0, threading.Event()
        self.thread = threading.Thread(target=self.watch, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> dict:
        self.done.set()
        self.thread.join(10)
        return {"server_peak_uss_mb": round(self.peak / 2**20, 1)}

    def watch(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as connection:
            while not self.done.is_set():
                pids = connection.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                ).fetchall()
                for (pid,) in pids:
                    try:
                        self.peak = max(self.peak, psutil.Process(pid).memory_full_info().uss)
                    except psutil.Error:
                        continue
                time.sleep(POLL_SECONDS)


if __name__ == "__main__":
    main()
