"""Benchmark the archive against the engine's own limit, on a fresh database and index.

    python bench/run.py --corpus ../shared/corpus/reuters21578 [--scale N] [--out results.json]

Everything happens in a temporary directory (an SQLite database and the index
under it; ``--database-url`` points at an empty PostgreSQL database instead).
Import and rebuild run as ``manage.py`` subprocesses, polled for peak memory;
searches, the public page, the admin save and the admin list are timed in
this process through the archive's own search API and Django's test client.
The raw Whoosh baseline (``bench/raw_whoosh.py``) indexes and searches the
same files with no Django.
"""

import argparse
import datetime as dt
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path

import psutil

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(ROOT))

from measure import run_measured, summarise  # noqa: E402
from queries import QUERIES, BenchQuery  # noqa: E402
from reuters import corpus_files, scale_corpus  # noqa: E402

FACETS = ("actor", "place", "tag", "source", "year")
MODES = ("ids", "highlights", "facets", "page")


def machine() -> dict:
    cpu = platform.processor() or ""
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout.splitlines():
            if line.startswith("Model name:"):
                cpu = line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "system": platform.platform(),
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
    }


def manage(args: list[str], *, env: dict, work: Path, name: str) -> dict:
    """Run a management command, measured; stop the benchmark if it fails."""
    measured = run_measured(
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=str(ROOT), log_path=work / f"{name}.log"
    )
    if measured.returncode != 0:
        tail = "\n".join(measured.output.splitlines()[-20:])
        raise SystemExit(f"manage.py {' '.join(args[:2])} failed with status {measured.returncode}:\n{tail}")
    return {
        "seconds": measured.wall_seconds,
        "peak_rss_mb": measured.peak_rss_mb,
        "peak_tree_rss_mb": measured.peak_tree_rss_mb,
        "peak_tree_pss_mb": measured.peak_tree_pss_mb,
        "cpu_seconds": measured.cpu_seconds,
    }


def search_query(bench_query: BenchQuery, mode: str):
    from archive.search.base import SearchQuery

    return SearchQuery(
        text=bench_query.text,
        date_from=bench_query.date_from,
        date_to=bench_query.date_to,
        highlight=mode != "ids",
        facets=FACETS if mode == "facets" else (),
    )


def page_params(bench_query: BenchQuery) -> dict:
    params = {"q": bench_query.text}
    if bench_query.date_from:
        params["from"] = bench_query.date_from.isoformat()
    if bench_query.date_to:
        params["to"] = bench_query.date_to.isoformat()
    return params


def time_searches(*, repeat: int) -> dict:
    """Each query in each mode: one warm-up run, then ``repeat`` timed runs.

    The page runs first for each query, and its warm-up is also reported on
    its own (``page_first_view``): the words' postings are not yet in the
    search cache then, unless an earlier query shared them, as a reader's
    first search would find them; the refinements that follow (facets,
    pages, the timeline) repeat the words, as the timed runs do.
    """
    from django.test import Client

    from archive.search import get_backend

    backend, client = get_backend(), Client()
    samples = {mode: [] for mode in (*MODES, "page_first_view")}
    totals = {}
    client.get("/search/")  # opens the index and loads its tables, as a serving process has done long before
    for bench_query in QUERIES:
        for mode in ("page", *(mode for mode in MODES if mode != "page")):
            for run in range(repeat + 1):
                started = time.perf_counter()
                if mode == "page":
                    response = client.get("/search/", page_params(bench_query))
                    if response.status_code != 200:
                        raise SystemExit(f"/search/ {page_params(bench_query)} answered {response.status_code}")
                else:
                    results = backend.search(search_query(bench_query, mode))
                    totals[bench_query.label] = results.total
                elapsed = time.perf_counter() - started
                if run:
                    samples[mode].append(elapsed)
                elif mode == "page":
                    samples["page_first_view"].append(elapsed)
    return {"latency": {mode: summarise(values) for mode, values in samples.items()}, "totals": totals}


class FormFields(HTMLParser):
    """The values a browser would submit from the form with ``form_id``."""

    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.data = form_id, False, []
        self._select, self._textarea = None, None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.inside = attributes.get("id") == self.form_id
        if not self.inside:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            kind = attributes.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                return
            if kind not in ("submit", "button", "file", "image"):
                self.data.append((name, attributes.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attributes:
            self.data.append((self._select, attributes.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.data.append((self._textarea, "".join(self._text).removeprefix("\n")))
            self._textarea = None


def time_admin(*, repeat: int) -> dict:
    """Save an article's change form in the admin and time until its new title word is searchable;
    time the article list (plain, and with the full-text search box)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from archive.models import Article
    from archive.search import get_backend
    from archive.search.base import SearchQuery

    user = get_user_model().objects.create_superuser(username="bench", email="", password=secrets.token_hex(8))
    client = Client()
    client.force_login(user)
    backend = get_backend()
    changelist = "/admin/archive/article/"
    save_samples, list_samples, list_search_samples = [], [], []
    articles = list(Article.objects.published().order_by("?").values_list("pk", flat=True)[:repeat])
    for pk in articles:
        url = f"{changelist}{pk}/change/"
        page = client.get(url)
        form = FormFields("article_form")
        form.feed(page.content.decode())
        word = "benchmark" + "".join(secrets.choice("bcdfghjklmnpqrstvwxz") for _ in range(8))
        data = {}
        for name, value in form.data:
            data.setdefault(name, []).append(value)
        data["title"] = [f"{data['title'][0]} {word}"]
        data["_save"] = ["Save"]
        started = time.perf_counter()
        response = client.post(url, data)
        if response.status_code != 302:
            raise SystemExit(f"The admin refused the save of article {pk} (status {response.status_code}).")
        while not backend.search(SearchQuery(text=word, highlight=False)).total:
            if time.perf_counter() - started > 30:
                raise SystemExit(f"Article {pk} was not searchable for {word!r} 30 s after the admin save.")
            time.sleep(0.005)
        save_samples.append(time.perf_counter() - started)
    for samples, params in ((list_samples, {}), (list_search_samples, {"q": "oil"})):
        for run in range(repeat + 1):
            started = time.perf_counter()
            response = client.get(changelist, params)
            if response.status_code != 200:
                raise SystemExit(f"The admin article list answered {response.status_code}.")
            if run:
                samples.append(time.perf_counter() - started)
    return {
        "save_to_searchable": summarise(save_samples),
        "changelist": summarise(list_samples),
        "changelist_search": summarise(list_search_samples),
    }


def _get(data: dict, *path, default="n/a"):
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return default
        data = data[key]
    return data


def _latency(data: dict, *path) -> str:
    found = _get(data, *path, default=None)
    return f"{found['p50_ms']} / {found['p95_ms']} / {found['max_ms']} ms" if found else "n/a"


def _ratio(report: dict, key: str, suffix: str = "") -> str:
    value = _get(report, "ratios", key, default=None)
    return f"{value}x{suffix}" if value is not None else ""


def _memory(measured: dict) -> str:
    sizes = [measured.get(key, "n/a") for key in ("peak_rss_mb", "peak_tree_rss_mb", "peak_tree_pss_mb")]
    return " / ".join(map(str, sizes)) + " MB"


def markdown(report: dict) -> str:
    """The results as a Markdown table; steps skipped with ``--skip`` show as n/a."""
    ours, raw, machine_ = report["archive"], report.get("raw_whoosh", {}), report["machine"]
    lines = [
        f"Run {report['date']} on {machine_['cpu']}, {machine_['cores']} cores, {machine_['memory_gb']} GB; "
        f"load average at start {machine_['load_average_at_start']}, at end {machine_.get('load_average_at_end')}. "
        f"Engine: {report.get('backend', 'whoosh')}. "
        f"Corpus: {report['articles']} articles (scale {report['scale']}x). The import "
        f"{'suggests access points too' if report.get('import_suggests', True) else 'ran with --no-suggest'}.",
        "",
        "| Measure | Archive | Raw Whoosh | Ratio |",
        "| --- | --- | --- | --- |",
        f"| Import + index, wall time | {_get(ours, 'import', 'seconds')} s | {_get(raw, 'index', 'seconds')} s "
        f"| {_ratio(report, 'import_vs_raw_index')} |",
        f"| Import + index, CPU time (all processes) | {_get(ours, 'import', 'cpu_seconds')} s "
        f"| {_get(raw, 'index', 'cpu_seconds')} s | {_ratio(report, 'import_cpu_vs_raw_index')} |",
        f"| Import throughput | {_get(ours, 'import', 'articles_per_second')} articles/s "
        f"| {_get(raw, 'index', 'docs_per_second')} docs/s | |",
        f"| Import peak memory (RSS of the largest process / RSS of all / PSS of all) "
        f"| {_memory(ours.get('import', {}))} | {_memory(raw)} | |",
        f"| rebuild_index, wall time | {_get(ours, 'rebuild_index', 'seconds')} s | "
        f"| {_ratio(report, 'rebuild_vs_raw_index')} |",
        f"| rebuild_index, CPU time | {_get(ours, 'rebuild_index', 'cpu_seconds')} s | | |",
        f"| rebuild_index peak memory (same three) | {_memory(ours.get('rebuild_index', {}))} | | |",
        f"| check_index | {_get(ours, 'check_index', 'seconds')} s | | |",
    ]
    names = {
        "ids": "Search, ranked ids (p50 / p95 / max)",
        "highlights": "Search with highlights",
        "facets": "Search with highlights + facets (actor, place, tag, source, year)",
        "page": "Public search page (test client)",
        "page_first_view": "Public search page, first view of each query",
    }
    for mode, name in names.items():
        raw_cell = _latency(raw, "search", "latency", mode) if mode in ("ids", "highlights") else ""
        lines.append(
            f"| {name} | {_latency(ours, 'search', 'latency', mode)} | {raw_cell} "
            f"| {_ratio(report, f'{mode}_p50_vs_raw', ' (p50)')} |"
        )
    lines += [
        f"| Admin save → searchable (p50 / p95 / max) | {_latency(ours, 'admin', 'save_to_searchable')} | | |",
        f"| Admin article list | {_latency(ours, 'admin', 'changelist')} | | |",
        f"| Admin article list, search `oil` | {_latency(ours, 'admin', 'changelist_search')} | | |",
    ]
    if "totals_mismatched" in report:
        if report["totals_mismatched"]:
            lines += ["", f"The archive and raw Whoosh found different totals for: {report['totals_mismatched']}"]
        else:
            lines += ["", f"The archive and raw Whoosh found the same number of hits for all {len(QUERIES)} queries."]
    return "\n".join(lines)


def raw_baseline(corpus: Path, *, work: Path, env: dict, repeat: int) -> dict:
    """Run bench/raw_whoosh.py on the same files, measured like the archive's commands."""
    command = [sys.executable, str(BENCH_DIR / "raw_whoosh.py"), "--corpus", str(corpus)]
    command += ["--index", str(work / "raw-index"), "--repeat", str(repeat), "--out", str(work / "raw.json")]
    measured = run_measured(command, env=env, cwd=str(ROOT), log_path=work / "raw.log")
    if measured.returncode != 0:
        raise SystemExit(f"raw_whoosh.py failed:\n{measured.output[-2000:]}")
    raw = json.loads((work / "raw.json").read_text())
    raw.update(
        peak_rss_mb=measured.peak_rss_mb,
        peak_tree_rss_mb=measured.peak_tree_rss_mb,
        peak_tree_pss_mb=measured.peak_tree_pss_mb,
    )
    return raw


def compare(report: dict) -> None:
    ours, raw = report["archive"], report.get("raw_whoosh")
    if not raw:
        return
    ratios = report["ratios"] = {
        "import_vs_raw_index": round(ours["import"]["seconds"] / raw["index"]["seconds"], 2),
        "import_cpu_vs_raw_index": round(ours["import"]["cpu_seconds"] / raw["index"]["cpu_seconds"], 2),
    }
    if "rebuild_index" in ours:
        ratios["rebuild_vs_raw_index"] = round(ours["rebuild_index"]["seconds"] / raw["index"]["seconds"], 2)
    for mode in ("ids", "highlights"):
        raw_p50 = raw["search"]["latency"][mode]["p50_ms"]
        if raw_p50:
            ratios[f"{mode}_p50_vs_raw"] = round(ours["search"]["latency"][mode]["p50_ms"] / raw_p50, 2)
    report["totals_mismatched"] = {
        label: {"archive": total, "raw_whoosh": raw["search"]["totals"].get(label)}
        for label, total in ours["search"]["totals"].items()
        if total != raw["search"]["totals"].get(label)
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, required=True, help="A folder of Reuters-21578 .sgm files.")
    parser.add_argument("--scale", type=int, default=1, help="Copies of the corpus (new ids, shuffled words).")
    parser.add_argument("--out", type=Path, help="Write the JSON report here.")
    parser.add_argument("--repeat", type=int, default=5, help="Timed runs of each query (after one warm-up).")
    parser.add_argument("--workdir", type=Path, help="Work here instead of a new temporary directory.")
    parser.add_argument("--keep", action="store_true", help="Keep the work directory (database, index, logs).")
    parser.add_argument("--database-url", help="An empty database to use instead of SQLite in the work directory.")
    parser.add_argument(
        "--backend",
        choices=("whoosh", "postgres"),
        default="whoosh",
        help="The search engine (ARCHIVE_SEARCH_BACKEND); postgres needs --database-url to be PostgreSQL.",
    )
    parser.add_argument(
        "--no-suggest",
        action="store_true",
        help="Import with --no-suggest: the database and the index only, as raw Whoosh does.",
    )
    parser.add_argument(
        "--skip", default="", help="Comma-separated steps to leave out, for long runs at scale: rebuild, raw."
    )
    args = parser.parse_args()
    if args.scale < 1:
        parser.error("--scale must be at least 1")
    if args.backend == "postgres" and not (args.database_url or "").startswith(("postgres://", "postgresql://")):
        parser.error("--backend postgres keeps the index in the database: give a PostgreSQL --database-url")
    args.skip = {step.strip() for step in args.skip.split(",") if step.strip()}
    if args.skip - {"rebuild", "raw"}:
        parser.error(f"--skip takes rebuild and raw, not {', '.join(sorted(args.skip - {'rebuild', 'raw'}))}")

    work = args.workdir or Path(tempfile.mkdtemp(prefix="archive-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"Working in {work}", file=sys.stderr)
    report = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "scale": args.scale,
        "backend": args.backend,
    }
    try:
        corpus = args.corpus
        if args.scale > 1:
            started = time.perf_counter()
            corpus = work / "corpus"
            scale_corpus(args.corpus, corpus, times=args.scale)
            report["scaling_seconds"] = round(time.perf_counter() - started, 1)
        files = [str(path) for path in corpus_files(corpus)]

        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="archive.settings",
            ARCHIVE_DATA_DIR=str(work / "data"),
            DATABASE_URL=args.database_url or f"sqlite:///{work / 'data' / 'archive.sqlite3'}",
            ARCHIVE_SEARCH_BACKEND=args.backend,
            DJANGO_DEBUG="false",
            # The test client measures the app over plain HTTP; production would redirect it to HTTPS.
            DJANGO_SECURE_SSL_REDIRECT="false",
            DJANGO_SECRET_KEY=secrets.token_hex(32),
            ARCHIVE_LOG_LEVEL="WARNING",
        )
        (work / "data").mkdir(exist_ok=True)
        ours = report["archive"] = {}
        print("Migrating", file=sys.stderr)
        manage(["migrate", "--noinput", "-v", "0"], env=env, work=work, name="migrate")
        # Pages name their static files by the manifest collectstatic writes, as in production.
        manage(["collectstatic", "--noinput", "-v", "0"], env=env, work=work, name="collectstatic")
        print(f"Importing {len(files)} files", file=sys.stderr)
        report["import_suggests"] = not args.no_suggest
        suggest = ["--no-suggest"] if args.no_suggest else []
        ours["import"] = manage(
            ["import_articles", "--format", "reuters", "--publish", "--no-progress", *suggest, *files],
            env=env,
            work=work,
            name="import",
        )
        print("Checking the index", file=sys.stderr)
        ours["check_index"] = manage(["check_index", "-v", "0"], env=env, work=work, name="check_index")
        if "rebuild" not in args.skip:
            print("Rebuilding the index", file=sys.stderr)
            ours["rebuild_index"] = manage(["rebuild_index", "--fresh", "-v", "0"], env=env, work=work, name="rebuild")
            manage(["check_index", "-v", "0"], env=env, work=work, name="check_index_after_rebuild")
        if "raw" not in args.skip:
            print("Raw Whoosh baseline", file=sys.stderr)
            report["raw_whoosh"] = raw_baseline(corpus, work=work, env=env, repeat=args.repeat)

        os.environ.update(env)
        import django

        django.setup()
        from archive.models import Article

        report["articles"] = Article.objects.count()
        ours["import"]["articles_per_second"] = round(report["articles"] / ours["import"]["seconds"], 1)
        print("Timing searches", file=sys.stderr)
        ours["search"] = time_searches(repeat=args.repeat)
        print("Timing the admin", file=sys.stderr)
        ours["admin"] = time_admin(repeat=args.repeat)

        compare(report)
        report["machine"]["load_average_at_end"] = [round(value, 2) for value in os.getloadavg()]
        report["markdown"] = markdown(report)
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    text = json.dumps(report, indent=2, default=str)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    print(report["markdown"])


if __name__ == "__main__":
    main()
