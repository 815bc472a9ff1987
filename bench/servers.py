"""Several gunicorn servers on one PostgreSQL database under load (``bench/load.py``), and both engines compared.

    python bench/servers.py DIR --database-url postgres://postgres@127.0.0.1:5432/NAME --corpus FILE [FILE ...]
        [--runs two-postgres one-postgres one-whoosh] [--clients 50] [--seconds 30] [--warmup 5]
        [--processes 2] [--workers 2] [--threads 4] [--out FILE]

The first run prepares the archive, as ``bench/load.py`` does: into the
database, which must be empty, with the PostgreSQL engine (migrate, the seed
article, the ``--corpus`` files or else ``--synthetic`` generated articles,
imported and published). Later runs on the same DIR serve what is there. DIR
holds one folder per host, each with its static files and gunicorn's log:
``a/`` and ``b/``, and ``whoosh/``, where ``rebuild_index`` builds a Whoosh
index of the same database.

Each run starts its servers as ``make serve`` does (migrate, collectstatic,
gunicorn with production settings, on free ports of 127.0.0.1), loads them
for ``--warmup`` seconds, which are not counted, then for ``--seconds``, and
stops them:

    two-postgres  hosts a and b, the PostgreSQL engine; the clients are spread over both
    one-postgres  host a alone, the PostgreSQL engine
    one-whoosh    one host on the whoosh folder, the Whoosh engine

The JSON report (every run's ``load.py`` report) goes to stdout and to
``--out``, a table to stderr. The exit status is 1 if any answer was a 5xx or
any request got no answer.
"""

import argparse
import json
import os
import sys
from contextlib import ExitStack, contextmanager
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import load  # noqa: E402

# Each run: the engine, and the host folders that serve it.
RUNS = {
    "two-postgres": ("postgres", ("a", "b")),
    "one-postgres": ("postgres", ("a",)),
    "one-whoosh": ("whoosh", ("whoosh",)),
}
WHOOSH_MARKER = "index-prepared.json"


def host_env(data_dir: Path, *, database_url: str, engine: str, workers: int, threads: int) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="archive.settings",
        ARCHIVE_DATA_DIR=str(data_dir),
        DATABASE_URL=database_url,
        ARCHIVE_SEARCH_BACKEND=engine,
        ARCHIVE_LOG_LEVEL="WARNING",
        WEB_CONCURRENCY=str(workers),
        GUNICORN_THREADS=str(threads),
    )
    return env


def prepare_whoosh(data_dir: Path, *, env: dict) -> None:
    """A Whoosh index of the prepared database in ``data_dir``, built once."""
    marker = data_dir / WHOOSH_MARKER
    if marker.exists():
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / "prepare.log", "a") as log:
        print(f"Building a Whoosh index of the same database in {data_dir}", file=sys.stderr)
        load.manage(["rebuild_index"], env=env, log=log)
        load.manage(["check_index", "-v", "0"], env=env, log=log)
    marker.write_text(json.dumps({"database": load.without_password(env["DATABASE_URL"])}))


@contextmanager
def servers(envs: list[dict]):
    """gunicorn for each environment, started as ``make serve`` starts it; their URLs, stopped afterwards."""
    with ExitStack() as running:
        urls = []
        for env in envs:
            process, port = load.start_server(Path(env["ARCHIVE_DATA_DIR"]), env=env, server="gunicorn")
            running.callback(load.stop_server, process)
            urls.append(f"http://127.0.0.1:{port}/")
        yield urls


def run(name: str, envs: list[dict], *, args) -> dict:
    load_average = [round(value, 2) for value in os.getloadavg()]
    options = dict(
        clients=args.clients,
        processes=args.processes,
        max_requests=args.max_requests,
        timeout=args.timeout,
        seed=args.seed,
    )
    with servers(envs) as urls:
        if args.warmup:
            print(f"{name}: warming up for {args.warmup} s", file=sys.stderr)
            load.measure(urls, seconds=args.warmup, **options)
        print(f"{name}: measuring for {args.seconds} s", file=sys.stderr)
        result = load.measure(urls, seconds=args.seconds, **options)
    engine, _ = RUNS[name]
    return {"engine": engine, "load_average_at_start": load_average, **result}


def table(runs: dict) -> str:
    lines = [f"{'run':<14} {'servers':>7} {'requests':>8} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7}  non-200"]
    for name, result in runs.items():
        latency = result["latency_ms"]
        lines.append(
            f"{name:<14} {len(result['servers']):>7} {result['requests']:>8} {result['throughput_rps']:>7} "
            f"{latency['p50']:>7} {latency['p95']:>7} {latency['p99']:>7}  {result['non_200']['total']}"
        )
    return "\n".join(lines) + "\n(latencies in ms)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", type=Path, metavar="DIR", help="The hosts' folders, prepared on the first run.")
    parser.add_argument("--database-url", required=True, help="An empty PostgreSQL database, shared by the servers.")
    parser.add_argument("--corpus", nargs="+", type=Path, default=[], help="Files to import, e.g. Reuters .sgm files.")
    parser.add_argument("--synthetic", type=int, default=300, help="Generated articles when no --corpus.")
    parser.add_argument("--runs", nargs="+", choices=list(RUNS), default=list(RUNS), help="Which runs, in order.")
    parser.add_argument("--clients", type=int, default=50, help="Concurrent clients (threads) of each run.")
    parser.add_argument("--processes", type=int, default=2, help="Client processes the threads are spread over.")
    parser.add_argument("--seconds", type=float, default=30.0, help="How long each run is measured.")
    parser.add_argument("--warmup", type=float, default=5.0, help="Seconds of load before each run, not counted.")
    parser.add_argument("--max-requests", type=int, default=1_000_000, help="Requests to send at most, per run.")
    parser.add_argument("--timeout", type=float, default=30.0, help="Seconds a request may wait for its answer.")
    parser.add_argument("--seed", type=int, default=0, help="Seed of the request mix.")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes per server.")
    parser.add_argument("--threads", type=int, default=4, help="Threads per gunicorn worker.")
    parser.add_argument("--out", type=Path, help="Also write the JSON report here.")
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url must be a PostgreSQL database: the servers share it, and so does the engine")
    if min(args.clients, args.processes, args.max_requests, args.workers, args.threads) < 1 or args.seconds <= 0:
        parser.error("--clients, --processes, --max-requests, --seconds, --workers and --threads must be positive")
    if args.warmup < 0:
        parser.error("--warmup cannot be negative")
    if args.processes > args.clients:
        parser.error("--processes cannot be more than --clients")

    data_dir = args.data_dir.resolve()
    sizes = dict(database_url=args.database_url, workers=args.workers, threads=args.threads)
    hosts = {name: host_env(data_dir / name, engine="postgres", **sizes) for name in ("a", "b")}
    hosts["whoosh"] = host_env(data_dir / "whoosh", engine="whoosh", **sizes)
    load.prepare(data_dir / "a", env=hosts["a"], corpus=args.corpus, synthetic=args.synthetic)
    (data_dir / "b").mkdir(exist_ok=True)
    if "one-whoosh" in args.runs:
        prepare_whoosh(data_dir / "whoosh", env=hosts["whoosh"])

    runs = {name: run(name, [hosts[host] for host in RUNS[name][1]], args=args) for name in args.runs}
    report = {
        "database": load.without_password(args.database_url),
        "prepared": json.loads((data_dir / "a" / load.PREPARED_MARKER).read_text()),
        "gunicorn": {"workers": args.workers, "threads": args.threads},
        "warmup_seconds": args.warmup,
        "cores": os.cpu_count(),
        "runs": runs,
    }
    text = json.dumps(report, indent=2)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)
    print(table(runs), file=sys.stderr)
    failed = {name: load.failure(result) for name, result in runs.items() if load.failure(result)}
    for name, reason in failed.items():
        print(f"Failed: {name}: {reason}.", file=sys.stderr)
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
