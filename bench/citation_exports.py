"""Stream the whole-archive exports (CSV and the three citation formats) and measure time and memory.

    python bench/citation_exports.py [--articles 100000] [--data-dir DIR]

Builds an SQLite database of published synthetic articles under
``--data-dir`` (a temporary directory by default; an existing one is
reused) with bylines of every kind the citation exports read, one actor,
one place and two tags each, and its Whoosh index with ``rebuild_index``
(minutes for 100,000 articles). Each export of the whole archive then runs
in a fresh process through Django's test client, read chunk by chunk as a
browser would and never held whole. The process's peak resident memory
against its memory after the search page for the same search (which loads
the engine's caches for the archive) shows what the export itself holds.
"""

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

EXPORTS = ("csv", "ris", "bib", "csl.json")
BYLINES = (
    "By Jane Doe and John Smith",
    "Reuters",
    "Staff Writer",
    "Smith, John",
    "STEPHEN JUKES AND PHILIP SHEHADI",
    "By Colin Brinsden, Reuters",
    "Jan van der Berg",
)
CHUNK = 5000


def setup(data_dir: Path) -> None:
    os.environ.update(ARCHIVE_DATA_DIR=str(data_dir), DATABASE_URL="", DJANGO_SETTINGS_MODULE="archive.settings")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()


def build(count: int) -> None:
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from taggit.models import Tag, TaggedItem
    from tqdm import tqdm

    from archive.models import Actor, Article, Place

    have = Article.objects.count()
    rng = random.Random(1)
    actors = list(Actor.objects.all()) or Actor.objects.bulk_create(
        [Actor(name=f"Actor {n}", type="organisation") for n in range(300)]
    )
    places = list(Place.objects.all()) or Place.objects.bulk_create(
        [Place(name=f"Place {n}", type="city") for n in range(300)]
    )
    tags = list(Tag.objects.all()) or Tag.objects.bulk_create(
        [Tag(name=f"topic {n}", slug=f"topic-{n}") for n in range(200)]
    )
    content_type = ContentType.objects.get_for_model(Article)
    for start in tqdm(range(have, count, CHUNK), unit="chunk", desc="articles"):
        with transaction.atomic():
            made = Article.objects.bulk_create(
                [
                    Article(
                        title=f"Grain exports {n}: {{braces}}, 100% & $5 -- “quotes”",
                        slug=f"bench-article-{n}",
                        byline=BYLINES[n % len(BYLINES)],
                        source="Reuters",
                        body="Grain shipments rose in the week. " * 20,
                        status="published",
                        published_start=dt.date(1987, 1, 1) + dt.timedelta(days=n % 3000),
                        published_end=dt.date(1987, 1, 1) + dt.timedelta(days=n % 3000),
                        published_precision="day",
                        checksum=f"{n:064x}",
                    )
                    for n in range(start, min(start + CHUNK, count))
                ]
            )
            Article.actors.through.objects.bulk_create(
                [Article.actors.through(article_id=a.pk, actor_id=rng.choice(actors).pk) for a in made]
            )
            Article.places.through.objects.bulk_create(
                [Article.places.through(article_id=a.pk, place_id=rng.choice(places).pk) for a in made]
            )
            TaggedItem.objects.bulk_create(
                [
                    TaggedItem(content_type=content_type, object_id=a.pk, tag_id=tag.pk)
                    for a in made
                    for tag in rng.sample(tags, 2)
                ]
            )


def measure(extension: str) -> dict:
    """One export of every published article, in this process; its memory is this process's."""
    from django.test import Client

    client = Client()
    # The search page sorted by date over the whole archive, as a reader would open it before downloading: it
    # loads the engine's caches for the archive (sort columns, facets), which any search pays and the export shares.
    client.get("/search/", {"sort": "newest"})
    before_mb = psutil.Process().memory_info().rss / 2**20
    started = time.perf_counter()
    response = client.get(f"/search/export.{extension}")
    size = chunks = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        chunks += 1
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "export": extension,
        "status": response.status_code,
        "seconds": round(seconds, 1),
        "megabytes": round(size / 2**20, 1),
        "chunks": chunks,
        "rss_before_mb": round(before_mb),
        "peak_rss_mb": round(peak_mb),
        "growth_mb": round(peak_mb - before_mb),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--measure", choices=EXPORTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="citation-bench-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    setup(data_dir)
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    build(args.articles)
    if not (data_dir / "index").exists():
        call_command("rebuild_index")
    print(f"{args.articles:,} published articles in {data_dir}")
    for extension in EXPORTS:
        command = [sys.executable, __file__, "--data-dir", str(data_dir), "--measure", extension]
        result = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
        print(
            f"{result['export']:>9}: {result['seconds']:6.1f} s, {result['megabytes']:6.1f} MB in {result['chunks']:,}"
            f" chunks; memory {result['rss_before_mb']} MB before, {result['peak_rss_mb']} MB at peak"
            f" (+{result['growth_mb']} MB)"
        )


if __name__ == "__main__":
    main()
