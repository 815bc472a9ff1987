"""Timing and memory helpers shared by the benchmark scripts."""

import json
import math
import resource
import statistics
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

POLL_SECONDS = 0.05


@dataclass
class Latency:
    count: int
    p50_ms: float
    p95_ms: float
    max_ms: float


def summarise(samples_seconds: list[float]) -> dict:
    """p50 / p95 / max in milliseconds (p95 by the nearest-rank method)."""
    ordered = sorted(samples_seconds)
    if not ordered:
        return asdict(Latency(0, 0.0, 0.0, 0.0))
    rank = max(0, math.ceil(0.95 * len(ordered)) - 1)
    return asdict(
        Latency(
            count=len(ordered),
            p50_ms=round(statistics.median(ordered) * 1000, 2),
            p95_ms=round(ordered[rank] * 1000, 2),
            max_ms=round(ordered[-1] * 1000, 2),
        )
    )


@dataclass
class Measured:
    returncode: int
    wall_seconds: float
    peak_rss_mb: float
    peak_tree_rss_mb: float
    peak_tree_pss_mb: float
    cpu_seconds: float
    output: str


def run_measured(command: list[str], *, env: dict, cwd: str, log_path: Path) -> Measured:
    """Run ``command`` and poll its memory: the largest single process, and the whole process tree summed
    (Whoosh's multiprocess writer and import pools run children). Forked children share their parent's
    pages, which RSS counts in every process; the proportional set size (PSS) splits each shared page
    between its sharers, so the tree's PSS is the memory it really holds. CPU seconds (user + system, the whole
    tree) are less sensitive than wall time to other load on the machine."""
    started = time.perf_counter()
    cpu_before = _children_cpu()
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, text=True)
        peak_single, peak_tree, peak_tree_pss = _watch(process)
    wall = time.perf_counter() - started
    return Measured(
        returncode=process.returncode,
        wall_seconds=round(wall, 2),
        peak_rss_mb=round(peak_single / 2**20, 1),
        peak_tree_rss_mb=round(peak_tree / 2**20, 1),
        peak_tree_pss_mb=round(peak_tree_pss / 2**20, 1),
        cpu_seconds=round(_children_cpu() - cpu_before, 1),
        output=Path(log_path).read_text(errors="replace"),
    )


def _watch(process: subprocess.Popen) -> tuple[int, int, int]:
    watched = psutil.Process(process.pid)
    peak_single = peak_tree = peak_tree_pss = 0
    while process.poll() is None:
        try:
            members = [watched, *watched.children(recursive=True)]
            sizes, proportional = [], []
            for member in members:
                try:
                    memory = member.memory_full_info()
                except psutil.Error:
                    continue
                sizes.append(memory.rss)
                proportional.append(memory.pss)
            if sizes:
                peak_single = max(peak_single, *sizes)
                peak_tree = max(peak_tree, sum(sizes))
                peak_tree_pss = max(peak_tree_pss, sum(proportional))
        except psutil.Error:
            pass
        time.sleep(POLL_SECONDS)
    return peak_single, peak_tree, peak_tree_pss


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def print_report(report: dict, out: Path | None) -> None:
    """Print the JSON report, and write it to ``out`` too when one is given."""
    text = json.dumps(report, indent=2)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
    print(text)
