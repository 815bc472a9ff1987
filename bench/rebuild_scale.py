"""Peak memory and time of ``rebuild_index`` as the archive grows to a million articles.

    python bench/rebuild_scale.py --corpus ../shared/corpus/reuters21578 --scale 56 [--workdir DIR] [--out FILE]

The corpus is multiplied as in ``run.py`` (``--scaled DIR`` reuses copies
written before), loaded into a fresh SQLite database with ``import_articles
--no-index --no-suggest`` (the quickest bulk load; its queued index updates
are then dropped, since the rebuild indexes every article anyway), and
``rebuild_index --fresh`` is measured: wall and CPU time, and peak memory of
the largest process and of the whole process tree (RSS and PSS). Then
``check_index`` must find the index and the database in step.
"""

import argparse
import datetime as dt
import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

from measure import print_report, run_measured  # noqa: E402
from reuters import corpus_files, scale_corpus  # noqa: E402
from run import machine  # noqa: E402


def measured(args: list[str], *, env: dict, work: Path, name: str) -> dict:
    result = run_measured(
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=str(ROOT), log_path=work / name
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {args[0]} failed:\n{result.output[-2000:]}")
    return {
        "seconds": result.wall_seconds,
        "cpu_seconds": result.cpu_seconds,
        "peak_rss_mb": result.peak_rss_mb,
        "peak_tree_rss_mb": result.peak_tree_rss_mb,
        "peak_tree_pss_mb": result.peak_tree_pss_mb,
        "output": result.output.strip().splitlines()[-1:] if result.output.strip() else [],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, help="A folder of Reuters-21578 .sgm files.")
    parser.add_argument("--scale", type=int, default=56, help="Copies of the corpus (56 gives about 1,000,000).")
    parser.add_argument("--scaled", type=Path, help="A folder of copies written before (instead of --corpus).")
    parser.add_argument("--workdir", type=Path, help="Work here (kept) instead of a new temporary directory.")
    parser.add_argument("--out", type=Path, help="Write the JSON report here.")
    args = parser.parse_args()
    if not (args.corpus or args.scaled):
        parser.error("give --corpus (and --scale) or --scaled")

    work = args.workdir or Path(tempfile.mkdtemp(prefix="archive-rebuild-"))
    (work / "data").mkdir(parents=True, exist_ok=True)
    report = {"date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine()}
    try:
        corpus = args.scaled
        if corpus is None:
            corpus = work / "corpus"
            started = time.perf_counter()
            scale_corpus(args.corpus, corpus, times=args.scale)
            report["scaling_seconds"] = round(time.perf_counter() - started, 1)
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="archive.settings",
            ARCHIVE_DATA_DIR=str(work / "data"),
            DATABASE_URL=f"sqlite:///{work / 'data' / 'archive.sqlite3'}",
            DJANGO_DEBUG="false",
            DJANGO_SECRET_KEY=secrets.token_hex(32),
            ARCHIVE_LOG_LEVEL="WARNING",
        )
        measured(["migrate", "--noinput", "-v", "0"], env=env, work=work, name="migrate.log")
        files = [str(path) for path in corpus_files(corpus)]
        print(f"Loading {len(files)} files into the database", file=sys.stderr)
        report["load"] = measured(
            [
                "import_articles",
                "--format",
                "reuters",
                "--publish",
                "--no-index",
                "--no-suggest",
                "--no-progress",
                *files,
            ],
            env=env,
            work=work,
            name="load.log",
        )
        os.environ.update(env)
        import django

        django.setup()
        from archive.models import Article, PendingIndexUpdate

        PendingIndexUpdate.objects.all().delete()
        report["articles"] = Article.objects.count()
        print(f"Rebuilding the index of {report['articles']} articles", file=sys.stderr)
        report["rebuild_index"] = measured(
            ["rebuild_index", "--fresh", "-v", "0"], env=env, work=work, name="rebuild.log"
        )
        report["check_index"] = measured(["check_index", "-v", "0"], env=env, work=work, name="check.log")
        report["machine"]["load_average_at_end"] = [round(value, 2) for value in os.getloadavg()]
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    print_report(report, args.out)


if __name__ == "__main__":
    main()
