"""Time the admin article list with many articles (no corpus needed: synthetic rows, bulk-inserted).

    python bench/admin_list.py [--articles 100000] [--data-dir DIR] [--search]

Builds an SQLite database under ``--data-dir`` (a temporary directory by
default; an existing one is reused, so a second run only measures), then
asks for the list as a superuser through Django's test client, plain and
with a filter, and prints the median and worst server time of five runs
after one warm-up. Links are one actor, one place and one tag per article
from 300 actors, 300 places and 200 tags. ``--search`` also times the
search box (building the Whoosh index first with ``rebuild_index`` if the
data directory has none: minutes for 100,000 articles).
"""

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

VIEWS = [
    ("plain", {}),
    ("status filter", {"status__exact": "in_review"}),
    ("work queue: no tag", {"queue": "no_tag"}),
    ("one year", {"published_start__year": "1990"}),
]
SEARCHES = [
    ("search: one article", {"q": '"Article 4242"'}),
    ("search: 10,000+ hits", {"q": "grain"}),
]
CHUNK = 5000


def build(count: int) -> None:
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from taggit.models import Tag, TaggedItem
    from tqdm import tqdm

    from archive.models import Actor, Article, Place

    have = Article.objects.count()
    if have >= count:
        return
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
                        title=f"Article {n} on grain exports",
                        slug=f"bench-article-{n}",
                        body="Grain shipments rose in the week. " * 20,
                        status=rng.choice(["draft", "in_review", "published"]),
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
                [TaggedItem(content_type=content_type, object_id=a.pk, tag_id=rng.choice(tags).pk) for a in made]
            )


def measure(views) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    user_model = get_user_model()
    user = user_model.objects.filter(username="bench").first() or user_model.objects.create_superuser("bench", "", None)
    client = Client()
    client.force_login(user)
    for label, params in views:
        samples = []
        for _ in range(6):
            started = time.perf_counter()
            response = client.get("/admin/archive/article/", params)
            samples.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise SystemExit(f"The article list answered {response.status_code} for {params}.")
        samples = samples[1:]
        print(f"{label:>20}: median {statistics.median(samples) * 1000:.0f} ms, max {max(samples) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--search", action="store_true", help="Also time the full-text search box.")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="admin-list-bench-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ.update(ARCHIVE_DATA_DIR=str(data_dir), DATABASE_URL="", DJANGO_SETTINGS_MODULE="archive.settings")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    build(args.articles)
    print(f"{args.articles:,} articles in {data_dir}")
    views = VIEWS
    if args.search:
        if not (data_dir / "index").exists():
            call_command("rebuild_index")
        views = [*VIEWS, *SEARCHES]
    measure(views)


if __name__ == "__main__":
    main()
