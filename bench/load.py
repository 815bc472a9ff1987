"""Load the public site with many concurrent readers; report throughput, latency and every non-200 answer.

    python bench/load.py DIR [--corpus FILE ...] [--server gunicorn] [--clients 50] [--seconds 30]
    python bench/load.py --url http://127.0.0.1:8000/ [--url http://127.0.0.1:8001/ ...] [--clients 50]

With DIR the script prepares an archive there (migrate, the seed article, then
the ``--corpus`` files, or else ``--synthetic`` generated articles, imported
and published) unless an earlier run prepared it, and serves it on a free port
of 127.0.0.1: with ``manage.py runserver``, threaded and with the settings
``make run`` serves with (DEBUG on, so the traceback of every 500 lands in
``DIR/runserver.log``), or with ``--server gunicorn``, as ``make serve`` does
(production settings, static files collected; its log in ``DIR/gunicorn.log``).
With ``--url`` it loads servers that are already running, the clients spread
over them in turn. Either way every server must be this machine: a host
outside 127.0.0.0/8, localhost and ::1 is refused.

Before the run it reads the browse pages and a few searches for real actor and
place ids, tags, years and article addresses. Then ``--clients`` threads
(spread over ``--processes`` processes) each send one request after another,
drawn from a mix of searches (words, phrases, boolean queries, facet filters,
date ranges, pages 2 and 3), typing suggestions, article pages and browse
pages, until ``--seconds`` pass or ``--max-requests`` have been sent.

The JSON report goes to stdout (and to ``--out``), a summary to stderr. The
exit status is 1 if any answer was a 5xx or any request got no answer at all.
"""

import argparse
import http.client
import ipaddress
import json
import math
import multiprocessing
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
PREPARED_MARKER = "load-prepared.json"
SERVER_START_SECONDS = 60

# Words of the Reuters corpus and of the seed article, so most searches find something.
WORDS = (
    *("oil", "crude", "opec", "gold", "coffee", "sugar", "wheat", "grain"),
    *("bank", "dollar", "trade", "prices", "shares", "profit", "interest", "rates", "market", "merger", "loan", "debt"),
    *("exports", "tariff", "strike", "japan", "government"),
    *("drones", "sigonella", "italy", "libya", "navy"),
)
QUERY_SHAPES = ('"{0} {1}"', "{0} AND {1}", "{0} OR {1}", "{0} NOT {1}", "{0}*", "{0} {1}")
BROWSE_PAGES = ("/actors/", "/places/", "/tags/", "/time/")

# Each kind of request and its share of the mix.
MIX = {
    "search": 30,
    "search-page": 10,
    "search-facet": 15,
    "search-dates": 10,
    "suggest": 15,
    "article": 10,
    "browse": 10,
}


def loopback_target(url: str) -> tuple[str, int]:
    """The host and port of ``url``; a ValueError unless it is plain http on this machine."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"{url!r} is not an http:// address such as http://127.0.0.1:8000/")
    host = parts.hostname
    if host != "localhost":
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ValueError(
                f"host {host!r} is not this machine: load.py only targets loopback addresses "
                "(127.0.0.0/8, localhost or ::1)"
            )
    return host, parts.port or 80


@dataclass
class Targets:
    """What the archive holds, read from its own pages, for the requests to ask about."""

    actors: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    years: list[str] = field(default_factory=list)
    articles: list[str] = field(default_factory=list)


def harvest(host: str, port: int, *, timeout: float) -> Targets:
    def page(path: str) -> str:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read().decode("utf-8", errors="replace")
        finally:
            connection.close()
        if response.status != 200:
            raise SystemExit(f"Reading what to ask for: GET {path} answered {response.status}.")
        return body

    def found(pattern: str, text: str) -> list[str]:
        return sorted(set(re.findall(pattern, text)))

    searches = "".join(page("/search/?" + urlencode({"q": word})) for word in ("", *WORDS[:8]))
    return Targets(
        actors=found(r'href="/actors/(\d+)/"', page("/actors/")),
        places=found(r'href="/places/(\d+)/"', page("/places/")),
        tags=found(r'\?tag=([\w-]+)"', page("/tags/")),
        years=found(r"\?from=(\d{4})&amp;", page("/time/")),
        articles=found(r'href="/articles/([\w-]+)/"', searches),
    )


def words(rng: random.Random) -> str:
    first, second = rng.sample(WORDS, 2)
    if rng.random() < 0.5:
        return first
    return rng.choice(QUERY_SHAPES).format(first, second)


def next_request(rng: random.Random, targets: Targets) -> tuple[str, str]:
    """One request of the mix: its kind and its path. A kind the archive has nothing for becomes a search."""
    kind = rng.choices(list(MIX), weights=list(MIX.values()))[0]
    params = {"q": words(rng)}
    if kind == "search-page":
        params["page"] = rng.choice(("2", "3"))
    elif kind == "search-facet":
        facets = (("actor", targets.actors), ("place", targets.places), ("tag", targets.tags))
        choices = [(name, values) for name, values in facets if values]
        if choices:
            name, values = rng.choice(choices)
            params[name] = rng.choice(values)
            if rng.random() < 0.5:
                del params["q"]
        else:
            kind = "search"
    elif kind == "search-dates":
        if targets.years:
            start = rng.choice(targets.years)
            params["from"] = start if rng.random() < 0.5 else f"{start}-{rng.randint(1, 12):02d}"
            params["to"] = start
            params["sort"] = rng.choice(("relevance", "newest", "oldest"))
        else:
            kind = "search"
    elif kind == "suggest":
        return kind, "/search/suggest?" + urlencode({"q": rng.choice(WORDS)[: rng.randint(2, 4)]})
    elif kind == "article":
        if targets.articles:
            return kind, f"/articles/{rng.choice(targets.articles)}/"
        kind = "search"
    elif kind == "browse":
        pages = list(BROWSE_PAGES)
        pages += [f"/actors/{pk}/" for pk in rng.sample(targets.actors, min(2, len(targets.actors)))]
        pages += [f"/places/{pk}/" for pk in rng.sample(targets.places, min(2, len(targets.places)))]
        return kind, rng.choice(pages)
    return kind, "/search/?" + urlencode(params)


class Budget:
    """The requests left to send, shared by the threads of one process."""

    def __init__(self, requests: int):
        self.left, self.lock = requests, threading.Lock()

    def take(self) -> bool:
        with self.lock:
            if self.left <= 0:
                return False
            self.left -= 1
            return True


def client(host, port, *, server, targets, deadline, budget, timeout, seed, samples) -> None:
    """Send requests one after another on a kept-alive connection until time or the budget runs out.

    A sample is (kind, status, seconds, server), ``server`` being the index of
    the server asked; a request that got no answer has the exception's name as
    its status, and the next one opens a new connection.
    """
    rng = random.Random(seed)
    connection = None
    while time.monotonic() < deadline and budget.take():
        kind, path = next_request(rng, targets)
        started = time.perf_counter()
        try:
            connection = connection or http.client.HTTPConnection(host, port, timeout=timeout)
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            status = str(response.status)
            if response.will_close:
                connection.close()
                connection = None
        except (OSError, http.client.HTTPException) as exc:
            status = type(exc).__name__
            if connection:
                connection.close()
            connection = None
        samples.append((kind, status, time.perf_counter() - started, server))
    if connection:
        connection.close()


def run_process(job: dict) -> list[tuple[str, str, float, int]]:
    """One client process: its share of the threads and of the request budget; client number N asks server
    N modulo the number of servers, so that the clients are spread evenly over them."""
    targets, budget, samples = Targets(**job["targets"]), Budget(job["requests"]), []
    deadline = time.monotonic() + job["seconds"]
    servers = job["servers"]
    threads = [
        threading.Thread(
            target=client,
            args=tuple(servers[number % len(servers)]),
            kwargs=dict(
                server=number % len(servers),
                targets=targets,
                deadline=deadline,
                budget=budget,
                timeout=job["timeout"],
                seed=job["seed"] * 100_003 + number,
                samples=samples,
            ),
        )
        for number in job["clients"]
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples


def shares(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if index < total % parts else 0) for index in range(parts)]


def load(servers, *, targets, clients, processes, seconds, max_requests, timeout, seed) -> tuple[list, float]:
    """``clients`` clients in ``processes`` processes spread over ``servers`` (host and port pairs)."""
    numbers = iter(range(clients))
    jobs = [
        {
            "servers": servers,
            "targets": targets.__dict__,
            "clients": [next(numbers) for _ in range(count)],
            "requests": requests,
            "seconds": seconds,
            "timeout": timeout,
            "seed": seed,
        }
        for count, requests in zip(shares(clients, processes), shares(max_requests, processes), strict=True)
    ]
    started = time.perf_counter()
    if processes == 1:
        results = [run_process(jobs[0])]
    else:
        with multiprocessing.Pool(processes) as pool:
            results = pool.map(run_process, jobs)
    return [sample for result in results for sample in result], time.perf_counter() - started


def percentiles(seconds: list[float]) -> dict:
    """p50 / p95 / p99 / max in milliseconds, by the nearest-rank method."""
    ordered = sorted(seconds)
    if not ordered:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}

    def rank(fraction: float) -> float:
        return round(ordered[max(0, math.ceil(fraction * len(ordered)) - 1)] * 1000, 1)

    return {"p50": rank(0.50), "p95": rank(0.95), "p99": rank(0.99), "max": round(ordered[-1] * 1000, 1)}


def breakdown(samples: list) -> dict:
    """Requests, latency of the answered ones and the statuses that were not 200, of some samples."""
    return {
        "requests": len(samples),
        "latency_ms": percentiles([seconds for _, status, seconds, _ in samples if status.isdigit()]),
        "non_200": dict(sorted(Counter(status for _, status, _, _ in samples if status != "200").items())),
    }


def report(samples: list, *, elapsed: float, settings: dict, targets: Targets) -> dict:
    """Latency counts every answered request, whatever its status; a request with no answer has none.

    ``settings["servers"]`` names the servers, in the order of the samples' server index.
    """
    answered = [sample for sample in samples if sample[1].isdigit()]
    failed = [(kind, status) for kind, status, _, _ in samples if status != "200"]
    by_kind = {
        kind: breakdown([sample for sample in samples if sample[0] == kind])
        for kind in sorted({sample[0] for sample in samples})
    }
    return {
        **settings,
        "elapsed_seconds": round(elapsed, 2),
        "requests": len(samples),
        "throughput_rps": round(len(samples) / elapsed, 1) if elapsed else 0.0,
        "latency_ms": percentiles([sample[2] for sample in answered]),
        "non_200": {
            "total": len(failed),
            "by_status": dict(sorted(Counter(status for _, status in failed).items())),
            "by_kind": {kind: counts["non_200"] for kind, counts in by_kind.items() if counts["non_200"]},
        },
        "by_server": {
            url: breakdown([sample for sample in samples if sample[3] == index])
            for index, url in enumerate(settings["servers"])
        },
        "server_errors": sum(1 for _, status in failed if status.startswith("5")),
        "no_answer": len(samples) - len(answered),
        "kinds": by_kind,
        "targets": {name: len(values) for name, values in targets.__dict__.items()},
    }


def synthetic_articles(path: Path, *, count: int, seed: int) -> None:
    """``count`` articles in JSON Lines, made of the words the searches use, with actors, places and tags."""
    rng = random.Random(seed)
    actors = [
        {"name": "Opec", "type": "international_organisation"},
        {"name": "World Bank", "type": "international_organisation"},
        {"name": "Ministry of Trade", "type": "state"},
        {"name": "Ana Ferreira", "type": "person"},
        {"name": "Kenji Sato", "type": "person"},
        {"name": "Italian Navy", "type": "state"},
        {"name": "Grain Pool", "type": "organisation"},
    ]
    places = [{"name": name, "type": "country"} for name in ("Italy", "Japan", "Libya", "Brazil", "Canada")]
    tags = ["energy", "farming", "finance", "defence", "shipping"]
    with path.open("w", encoding="utf-8") as handle:
        for number in range(count):
            body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 120)))
            record = {
                "id": f"load-{number}",
                "title": " ".join(rng.sample(WORDS, 5)).capitalize(),
                "body": body.capitalize() + ".",
                "source": rng.choice(("Reuters", "Agence Synthèse")),
                "published": f"{rng.randint(1985, 2016)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "actors": rng.sample(actors, rng.randint(0, 3)),
                "places": rng.sample(places, rng.randint(0, 2)),
                "tags": rng.sample(tags, rng.randint(0, 2)),
            }
            handle.write(json.dumps(record) + "\n")


def manage(args: list[str], *, env: dict, log) -> None:
    log.write(f"$ manage.py {' '.join(args)}\n")
    log.flush()
    command = [sys.executable, str(ROOT / "manage.py"), *args]
    status = subprocess.run(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT).returncode
    if status != 0:
        raise SystemExit(f"manage.py {args[0]} failed with status {status}: see {log.name}")


def without_password(url: str) -> str:
    parts = urlsplit(url)
    if not parts.password:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()


def prepare(data_dir: Path, *, env: dict, corpus: list[Path], synthetic: int) -> None:
    """Migrate and fill ``data_dir`` once; a later run on the same directory serves what is there, and
    refuses another database than the one it was prepared on."""
    marker = data_dir / PREPARED_MARKER
    database = without_password(env["DATABASE_URL"])
    if marker.exists():
        prepared = json.loads(marker.read_text())
        if prepared.get("database", database) != database:
            raise SystemExit(
                f"{data_dir} was prepared on the database {prepared['database']}, not {database}: "
                "give that database again, or a new directory."
            )
        print(f"Serving the archive prepared earlier in {data_dir} ({marker.read_text().strip()})", file=sys.stderr)
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / "prepare.log", "a") as log:
        print(f"Preparing an archive in {data_dir}", file=sys.stderr)
        manage(["migrate", "--noinput", "-v", "0"], env=env, log=log)
        manage(["load_seed"], env=env, log=log)
        if corpus:
            paths = [str(path) for path in corpus]
        else:
            paths = [str(data_dir / "synthetic.jsonl")]
            synthetic_articles(Path(paths[0]), count=synthetic, seed=0)
        manage(["import_articles", "--publish", "--no-progress", "--no-suggest", *paths], env=env, log=log)
        manage(["check_index", "-v", "0"], env=env, log=log)
    prepared = {"corpus": [str(path) for path in corpus], "synthetic": 0 if corpus else synthetic, "database": database}
    marker.write_text(json.dumps(prepared))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_env(env: dict) -> dict:
    """Production settings, as ``make serve`` runs with, on loopback: debug off, a key of this run, and no
    HTTPS redirect (a proxy in front would take the TLS)."""
    return {
        **env,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "HOST": "127.0.0.1",
    }


def start_server(data_dir: Path, *, env: dict, server: str = "runserver") -> tuple[subprocess.Popen, int]:
    """``runserver`` as ``make run`` serves, or ``gunicorn`` as ``make serve`` does, on a free loopback port."""
    port = free_port()
    log_path = data_dir / f"{server}.log"
    if server == "gunicorn":
        env = production_env(env)
        with open(log_path, "a") as log:
            manage(["migrate", "--noinput", "-v", "0"], env=env, log=log)
            manage(["collectstatic", "--noinput", "-v", "0"], env=env, log=log)
        command = [str(Path(sys.executable).parent / "gunicorn"), "--config", "gunicorn.conf.py"]
        env = {**env, "PORT": str(port)}
    else:
        command = [
            sys.executable,
            str(ROOT / "manage.py"),
            "runserver",
            "--noreload",
            "--insecure",
            f"127.0.0.1:{port}",
        ]
    log = open(log_path, "a")  # noqa: SIM115 - stays open while the server writes to it
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    give_up = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < give_up:
        if process.poll() is not None:
            raise SystemExit(f"{server} exited with status {process.returncode}: see {log_path}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, port
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"{server} did not listen on 127.0.0.1:{port} within {SERVER_START_SECONDS} s")


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=SERVER_START_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def measure(urls: list[str], *, clients, processes, seconds, max_requests, timeout, seed) -> dict:
    """Read what to ask for from the first server, load them all, and report."""
    servers = [loopback_target(url) for url in urls]
    targets = harvest(*servers[0], timeout=timeout)
    print(f"Loading {', '.join(urls)} with {clients} clients for {seconds} s", file=sys.stderr)
    samples, elapsed = load(
        servers,
        targets=targets,
        clients=clients,
        processes=processes,
        seconds=seconds,
        max_requests=max_requests,
        timeout=timeout,
        seed=seed,
    )
    settings = {
        "servers": urls,
        "clients": clients,
        "processes": processes,
        "seconds": seconds,
        "max_requests": max_requests,
    }
    return report(samples, elapsed=elapsed, settings=settings, targets=targets)


def summary(result: dict) -> str:
    latency = result["latency_ms"]
    lines = [
        f"{result['requests']} requests in {result['elapsed_seconds']} s from {result['clients']} clients: "
        f"{result['throughput_rps']} req/s; p50 {latency['p50']} ms, p95 {latency['p95']} ms, "
        f"p99 {latency['p99']} ms, max {latency['max']} ms",
    ]
    rows = list(result["kinds"].items())
    if len(result["by_server"]) > 1:
        rows += list(result["by_server"].items())
    for name, counts in rows:
        failures = ", ".join(f"{status}: {count}" for status, count in counts["non_200"].items()) or "none"
        lines.append(
            f"  {name:<13} {counts['requests']:>6} requests, p50 {counts['latency_ms']['p50']} ms, "
            f"p95 {counts['latency_ms']['p95']} ms; not 200: {failures}"
        )
    return "\n".join(lines)


def failure(result: dict) -> str:
    """Why the run failed, or an empty string: any 5xx answer, or any request with no answer."""
    if not (result["server_errors"] or result["no_answer"]):
        return ""
    return f"{result['server_errors']} server errors (5xx) and {result['no_answer']} requests with no answer"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", nargs="?", type=Path, metavar="DIR", help="The archive to prepare and serve.")
    parser.add_argument(
        "--url",
        action="append",
        default=[],
        help="Load this running server instead (a loopback address); repeat it to spread the clients over several.",
    )
    parser.add_argument("--server", choices=("runserver", "gunicorn"), default="runserver", help="How DIR is served.")
    parser.add_argument("--corpus", nargs="+", type=Path, default=[], help="Files or folders to import into DIR.")
    parser.add_argument("--synthetic", type=int, default=300, help="Generated articles for DIR when no --corpus.")
    parser.add_argument("--database-url", help="An empty database for DIR's archive instead of SQLite in DIR.")
    parser.add_argument("--clients", type=int, default=50, help="Concurrent clients (threads).")
    parser.add_argument("--processes", type=int, default=1, help="Client processes the threads are spread over.")
    parser.add_argument("--seconds", type=float, default=30.0, help="How long the clients keep sending.")
    parser.add_argument("--max-requests", type=int, default=100_000, help="Requests to send at most, in all.")
    parser.add_argument("--timeout", type=float, default=30.0, help="Seconds a request may wait for its answer.")
    parser.add_argument("--seed", type=int, default=0, help="Seed of the request mix.")
    parser.add_argument("--out", type=Path, help="Also write the JSON report here.")
    args = parser.parse_args()
    if bool(args.url) == (args.data_dir is not None):
        parser.error("give either DIR, an archive to prepare and serve, or --url, a server already running")
    if min(args.clients, args.processes, args.max_requests) < 1 or args.seconds <= 0:
        parser.error("--clients, --processes, --max-requests and --seconds must be positive")
    if args.processes > args.clients:
        parser.error("--processes cannot be more than --clients")
    if len(args.url) > args.clients:
        parser.error("give at least one client per --url")
    if args.url and (args.corpus or args.database_url):
        parser.error("--corpus and --database-url prepare DIR; a server given with --url serves what it has")
    for url in args.url:
        try:
            loopback_target(url)
        except ValueError as exc:
            parser.error(f"--url refused: {exc}")
    urls, server = args.url, None
    if args.data_dir:
        data_dir = args.data_dir.resolve()
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="archive.settings",
            ARCHIVE_DATA_DIR=str(data_dir),
            DATABASE_URL=args.database_url or f"sqlite:///{data_dir / 'archive.sqlite3'}",
            ARCHIVE_LOG_LEVEL="WARNING",
        )
        prepare(data_dir, env=env, corpus=args.corpus, synthetic=args.synthetic)
        server, port = start_server(data_dir, env=env, server=args.server)
        urls = [f"http://127.0.0.1:{port}/"]
    try:
        result = measure(
            urls,
            clients=args.clients,
            processes=args.processes,
            seconds=args.seconds,
            max_requests=args.max_requests,
            timeout=args.timeout,
            seed=args.seed,
        )
    finally:
        if server:
            stop_server(server)
    result["server_log"] = str(data_dir / f"{args.server}.log") if server else None
    text = json.dumps(result, indent=2)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)
    print(summary(result), file=sys.stderr)
    if failure(result):
        print(f"Failed: {failure(result)}.", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
