"""Time (or profile) every benchmark query in every mode on a data directory that already exists.

    python bench/search_profile.py --data /work/bench5/data [--repeat 5] [--profile page --top 30]
    python bench/search_profile.py --data DIR/data --backend postgres --database-url postgres://…/archive_bench

``bench/run.py --workdir DIR`` leaves its database and index in ``DIR/data``
(or, with ``--database-url``, in that database);
this re-measures searches there without importing again, so a change to the
search or the page can be timed in seconds. Each query runs once to warm up
and then ``--repeat`` times; the table shows each query's median wall and CPU
milliseconds per mode, and the summary the p50 / p95 over all runs, as
``bench/run.py`` reports them. With ``--profile MODE`` the timed runs of that
mode run under cProfile (CPU time) and the costliest functions are printed.
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(BENCH_DIR.parent))

from measure import summarise  # noqa: E402
from queries import QUERIES  # noqa: E402
from run import MODES, page_params, search_query  # noqa: E402


def use_data_dir(data: Path, *, database_url: str | None, backend: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="archive.settings",
        ARCHIVE_DATA_DIR=str(data),
        DATABASE_URL=database_url or f"sqlite:///{data / 'archive.sqlite3'}",
        ARCHIVE_SEARCH_BACKEND=backend,
        DJANGO_DEBUG="false",
        # The test client measures the app over plain HTTP; production would redirect it to HTTPS.
        DJANGO_SECURE_SSL_REDIRECT="false",
        ARCHIVE_LOG_LEVEL="WARNING",
    )
    os.environ.setdefault("DJANGO_SECRET_KEY", "search-profile-only")
    import django
    from django.core.management import call_command

    django.setup()
    # Pages name their static files by the manifest collectstatic writes, as in production.
    call_command("collectstatic", "--noinput", verbosity=0)


def runner(mode: str):
    """A function that runs one benchmark query in ``mode`` and returns its total."""
    from django.test import Client

    from archive.search import get_backend

    backend, client = get_backend(), Client()

    def run(bench_query) -> int | None:
        if mode == "page":
            response = client.get("/search/", page_params(bench_query))
            if response.status_code != 200:
                raise SystemExit(f"/search/ {page_params(bench_query)} answered {response.status_code}")
            return None
        return backend.search(search_query(bench_query, mode)).total

    return run


def measure(modes: list[str], *, repeat: int, profile_mode: str | None, profiler: cProfile.Profile) -> dict:
    """Wall and CPU seconds of each timed run, per mode and query."""
    samples = {mode: {bench_query.label: [] for bench_query in QUERIES} for mode in modes}
    totals = {}
    for mode in modes:
        run = runner(mode)
        for bench_query in QUERIES:
            totals.setdefault(bench_query.label, run(bench_query))
            for _ in range(repeat):
                profiling = mode == profile_mode
                if profiling:
                    profiler.enable()
                wall, cpu = time.perf_counter(), time.process_time()
                run(bench_query)
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                if profiling:
                    profiler.disable()
                samples[mode][bench_query.label].append((wall, cpu))
    return {"samples": samples, "totals": totals}


def report(measured: dict, modes: list[str]) -> str:
    samples, totals = measured["samples"], measured["totals"]
    width = max(len(bench_query.label) for bench_query in QUERIES)
    lines = [f"{'query':<{width}} {'hits':>6}  " + "  ".join(f"{mode + ' wall/cpu':>18}" for mode in modes)]
    for bench_query in QUERIES:
        cells = []
        for mode in modes:
            runs = samples[mode][bench_query.label]
            wall = statistics.median(wall for wall, _ in runs) * 1000
            cpu = statistics.median(cpu for _, cpu in runs) * 1000
            cells.append(f"{wall:8.1f} /{cpu:7.1f}")
        total = totals.get(bench_query.label)
        lines.append(f"{bench_query.label:<{width}} {total if total is not None else '':>6}  " + "  ".join(cells))
    lines.append("")
    for mode in modes:
        runs = [run for label_runs in samples[mode].values() for run in label_runs]
        wall, cpu = summarise([wall for wall, _ in runs]), summarise([cpu for _, cpu in runs])
        lines.append(
            f"{mode:>10}: wall p50 {wall['p50_ms']} / p95 {wall['p95_ms']} ms; "
            f"CPU p50 {cpu['p50_ms']} / p95 {cpu['p95_ms']} ms ({wall['count']} runs)"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="A data directory left by bench/run.py --workdir.")
    parser.add_argument("--repeat", type=int, default=5, help="Timed runs of each query (after one warm-up).")
    parser.add_argument("--modes", default=",".join(MODES), help=f"Comma-separated, of: {', '.join(MODES)}.")
    parser.add_argument("--profile", choices=MODES, help="Profile the timed runs of this mode.")
    parser.add_argument("--top", type=int, default=30, help="Functions listed from the profile.")
    parser.add_argument("--database-url", help="The database bench/run.py --database-url imported into.")
    parser.add_argument("--backend", choices=("whoosh", "postgres"), default="whoosh", help="The search engine.")
    args = parser.parse_args()
    modes = [mode.strip() for mode in args.modes.split(",") if mode.strip()]
    if set(modes) - set(MODES):
        parser.error(f"--modes takes {', '.join(MODES)}")
    if not args.database_url and not (args.data / "archive.sqlite3").exists():
        parser.error(f"{args.data} has no archive.sqlite3")
    use_data_dir(args.data, database_url=args.database_url, backend=args.backend)
    profiler = cProfile.Profile(time.process_time)
    load_before = os.getloadavg()
    measured = measure(modes, repeat=args.repeat, profile_mode=args.profile, profiler=profiler)
    print(report(measured, modes))
    print(f"load average {load_before[0]:.2f} -> {os.getloadavg()[0]:.2f}")
    if args.profile:
        print()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
