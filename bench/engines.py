"""The two search engines side by side, from one run on the same stories.

    python bench/engines.py --corpus ../shared/corpus/reuters21578 [--scale N] \
        --postgres-url postgres://postgres@127.0.0.1:5432/archive_engines [--out DIR] [--skip rebuild,raw]

Each engine is measured by ``bench/run.py`` as its deployments run it: the
Whoosh engine on an SQLite database in a temporary directory, the PostgreSQL
engine on ``--postgres-url``, which must be an existing, empty database.
The corpus is multiplied once and both runs import the same files. The
table puts each measure of the two reports in one row, with the PostgreSQL
engine's figure as a multiple of the Whoosh engine's, and lists the queries
for which the engines found different numbers of hits.
"""

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from reuters import scale_corpus  # noqa: E402
from run import _get  # noqa: E402

ENGINES = (("whoosh", "Whoosh engine (SQLite)"), ("postgres", "PostgreSQL engine"))
COMMAND_ROWS = (
    ("Import + index + suggestions, wall time", "import", "seconds", "s"),
    ("Import + index + suggestions, CPU time (the archive's, not the database's)", "import", "cpu_seconds", "s"),
    ("Import throughput", "import", "articles_per_second", "articles/s"),
    ("Import peak memory, PSS of the importing processes", "import", "peak_tree_pss_mb", "MB"),
    ("rebuild_index, wall time", "rebuild_index", "seconds", "s"),
    ("rebuild_index, CPU time (the archive's, not the database's)", "rebuild_index", "cpu_seconds", "s"),
    ("rebuild_index peak memory, PSS", "rebuild_index", "peak_tree_pss_mb", "MB"),
    ("check_index, wall time", "check_index", "seconds", "s"),
)
LATENCY_ROWS = (
    ("Search, ranked ids", ("search", "latency", "ids")),
    ("Search with highlights", ("search", "latency", "highlights")),
    ("Search with highlights + five facets (actor, place, tag, source, year)", ("search", "latency", "facets")),
    ("Public search page (test client)", ("search", "latency", "page")),
    ("Public search page, first view of each query", ("search", "latency", "page_first_view")),
    ("Admin save → searchable", ("admin", "save_to_searchable")),
    ("Admin article list", ("admin", "changelist")),
    ("Admin article list, search `oil`", ("admin", "changelist_search")),
)


def empty_database(url: str) -> None:
    """Stop unless ``url`` is a PostgreSQL database the archive has not been migrated into."""
    try:
        with psycopg.connect(url, connect_timeout=5) as connection:
            found = connection.execute("SELECT to_regclass('archive_article') IS NOT NULL").fetchone()[0]
    except psycopg.Error as exc:
        raise SystemExit(f"Cannot open --postgres-url {url}: {exc}") from None
    if found:
        raise SystemExit(f"{url} already holds an archive: give a new, empty database (createdb …).")


def measure(engine: str, corpus: Path, work: Path, args) -> dict:
    out = work / f"{engine}.json"
    command = [sys.executable, str(BENCH_DIR / "run.py"), "--corpus", str(corpus), "--out", str(out)]
    command += ["--backend", engine, "--repeat", str(args.repeat)]
    skip = set(args.skip)
    if engine == "postgres":
        command += ["--database-url", args.postgres_url]
        skip.add("raw")  # the raw Whoosh baseline is the same for both engines: it runs once, with Whoosh
    if skip:
        command += ["--skip", ",".join(sorted(skip))]
    if args.no_suggest:
        command.append("--no-suggest")
    print(f"Measuring the {engine} engine", file=sys.stderr)
    subprocess.run(command, check=True)
    return json.loads(out.read_text())


def _times(first, second) -> str:
    return f"{second / first:.2f}x" if first and second is not None else ""


def markdown(reports: dict, scale: int) -> str:
    whoosh, postgres = reports["whoosh"], reports["postgres"]
    start = whoosh["machine"]
    lines = [
        f"{whoosh['articles']} articles ({scale}x), runs started {whoosh['date']} and {postgres['date']}, "
        f"on {start['cpu']}, {start['cores']} cores, {start['memory_gb']} GB; load average "
        f"{start['load_average_at_start']} at the start, {postgres['machine'].get('load_average_at_end')} at the end.",
        "",
        f"| Measure | {ENGINES[0][1]} | {ENGINES[1][1]} | PostgreSQL ÷ Whoosh |",
        "| --- | --- | --- | --- |",
    ]
    for name, step, key, unit in COMMAND_ROWS:
        first, second = (_get(report, "archive", step, key, default=None) for report in (whoosh, postgres))
        if first is None and second is None:
            continue
        cells = [f"{value} {unit}" if value is not None else "n/a" for value in (first, second)]
        lines.append(f"| {name} | {cells[0]} | {cells[1]} | {_times(first, second)} |")
    for name, path in LATENCY_ROWS:
        found = [_get(report, "archive", *path, default=None) for report in (whoosh, postgres)]
        cells = [f"{value['p50_ms']} / {value['p95_ms']} / {value['max_ms']} ms" if value else "n/a" for value in found]
        ratio = _times(found[0]["p50_ms"], found[1]["p50_ms"]) + " (p50)" if all(found) else ""
        lines.append(f"| {name} (p50 / p95 / max) | {cells[0]} | {cells[1]} | {ratio} |")
    raw = _get(whoosh, "raw_whoosh", "index", "seconds", default=None)
    if raw:
        lines.append(f"| Raw Whoosh, index alone with no Django, wall time | {raw} s | | |")
    totals = {engine: _get(report, "archive", "search", "totals", default={}) for engine, report in reports.items()}
    differing = {
        label: (count, totals["postgres"].get(label))
        for label, count in totals["whoosh"].items()
        if count != totals["postgres"].get(label)
    }
    lines.append("")
    if differing:
        lines.append(
            "Hits that differ (Whoosh, PostgreSQL): "
            + "; ".join(f"`{label}` {first} / {second}" for label, (first, second) in differing.items())
            + "."
        )
    else:
        lines.append(f"Both engines found the same number of hits for all {len(totals['whoosh'])} queries.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, required=True, help="A folder of Reuters-21578 .sgm files.")
    parser.add_argument("--scale", type=int, default=1, help="Copies of the corpus (new ids, shuffled words).")
    parser.add_argument("--postgres-url", required=True, help="An existing, empty PostgreSQL database.")
    parser.add_argument("--out", type=Path, help="Write whoosh.json, postgres.json and engines.md here.")
    parser.add_argument("--repeat", type=int, default=5, help="Timed runs of each query (after one warm-up).")
    parser.add_argument("--skip", default="", help="Steps both runs leave out: rebuild, raw.")
    parser.add_argument("--no-suggest", action="store_true", help="Import without suggesting access points.")
    args = parser.parse_args()
    if args.scale < 1:
        parser.error("--scale must be at least 1")
    args.skip = [step.strip() for step in args.skip.split(",") if step.strip()]
    empty_database(args.postgres_url)

    work = Path(tempfile.mkdtemp(prefix="archive-engines-"))
    try:
        corpus = args.corpus
        if args.scale > 1:
            print(f"Writing {args.scale} copies of the corpus", file=sys.stderr)
            corpus = work / "corpus"
            scale_corpus(args.corpus, corpus, times=args.scale)
        reports = {engine: measure(engine, corpus, work, args) for engine, _ in ENGINES}
        table = markdown(reports, args.scale)
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            for engine, report in reports.items():
                (args.out / f"{engine}.json").write_text(json.dumps(report, indent=2))
            stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
            (args.out / "engines.md").write_text(f"<!-- bench/engines.py, {stamp} -->\n{table}\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(table)


if __name__ == "__main__":
    main()
