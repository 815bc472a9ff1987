"""Time the access-point extractor per story, once the authority records are loaded.

    python bench/extraction.py ../shared/corpus/reuters21578 [--stories 2000] [--min-population 15000]

Everything happens in a temporary directory holding a fresh SQLite
database: the gazetteer, the actor seeds and the people, organisations and
places of reut2-000 to 013 are loaded, then the title, dateline and body of
the stories of reut2-014 to 017 are read by ``extract``. Loading is not
timed; each story's extraction is, from its text to its list of proposals,
in wall time per story and in CPU time over the loop (which also reads
the test files).
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(ROOT))

from measure import summarise  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path, help="The Reuters-21578 directory (reut2-*.sgm).")
    parser.add_argument("--stories", type=int, default=2000, help="How many test stories to time.")
    parser.add_argument("--min-population", type=int, default=15_000, help="Gazetteer city threshold.")
    args = parser.parse_args()
    train = [args.corpus / f"reut2-{n:03d}.sgm" for n in range(14)]
    test = [args.corpus / f"reut2-{n:03d}.sgm" for n in range(14, 18)]
    missing = [str(path) for path in [*train, *test] if not path.is_file()]
    if missing:
        raise SystemExit(f"Not found: {', '.join(missing)}")

    with tempfile.TemporaryDirectory(prefix="extraction-bench-") as work:
        os.environ["DATABASE_URL"] = f"sqlite:///{work}/bench.sqlite3"
        os.environ["ARCHIVE_DATA_DIR"] = work
        os.environ["DJANGO_SETTINGS_MODULE"] = "archive.settings"
        import django

        django.setup()
        from django.core.management import call_command

        from archive.extraction.authorities import AuthorityIndex
        from archive.extraction.evaluation import _Authorities, indexed_records
        from archive.extraction.gazetteer import load_gazetteer
        from archive.extraction.pipeline import extract
        from archive.extraction.seeds import load_actor_seeds

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        load_gazetteer(min_population=args.min_population)
        load_actor_seeds()
        _Authorities().learn(list(indexed_records(train)))
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        index = AuthorityIndex.from_database()
        built = time.perf_counter() - started

        samples, lengths, proposals = [], [], 0
        cpu_started = time.process_time()
        for record in indexed_records(test):
            if len(samples) >= args.stories:
                break
            begun = time.perf_counter()
            found = extract(
                title=record.title,
                body=record.body,
                dateline=record.dateline,
                published=record.published.start if record.published else None,
                index=index,
            )
            samples.append(time.perf_counter() - begun)
            lengths.append(len(record.title) + len(record.dateline) + len(record.body))
            proposals += len(found)
        cpu = time.process_time() - cpu_started

    result = {
        "stories": len(samples),
        "average_characters": round(statistics.mean(lengths)),
        "mean_ms": round(statistics.mean(samples) * 1000, 2),
        **summarise(samples),
        # CPU time is what to compare on a shared machine; it includes reading the test files.
        "cpu_ms_per_story": round(cpu / len(samples) * 1000, 2),
        "proposals_per_story": round(proposals / len(samples), 1),
        "authority_names": index.size,
        "actors": len(index.actors),
        "places": len(index.places),
        "load_seconds": round(loaded, 1),
        "automaton_build_seconds": round(built, 1),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
