"""The seed: the example article and its access points, loaded so a fresh archive shows a described article.

``fixtures/seed_access_points.json`` names the actors, places (parents
first) and tags, and, for each seed file in ``seeds/``, which of them the
article links to and its status. Records are found by name (actors by name
and type), never by primary key, so loading never overwrites an unrelated
row, and loading twice changes nothing. Existing records are completed (a
missing parent, country code or coordinates), not rewritten: archivists may
have edited them.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from archive.extraction.receivers import schedule_suggestions
from archive.importers import plaintext
from archive.models import Actor, ActorName, Article, ArticleStatus, Place, PlaceName
from archive.services.imports import articles_import


class SeedError(Exception):
    """The seed files or the fixture are not as expected; the message says what."""


@dataclass
class SeedReport:
    articles: list[Article]
    actors: int
    places: int


def seed_load(*, seed_dir: Path, fixture: Path) -> SeedReport:
    """Import the seed articles (published), create their access points and link them, in one transaction."""
    try:
        data = json.loads(Path(fixture).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SeedError(f"{fixture}: cannot be read as JSON ({exc})") from exc
    with transaction.atomic():
        # Suggested once the access points exist and are linked: read before, the article would propose
        # its own places as new ones.
        report = articles_import(paths=[seed_dir], format="text", publish=True, suggest=False)
        if report.failures:
            raise SeedError("; ".join(report.failures))
        actors = {(entry["name"], entry["type"]): _actor(entry) for entry in data.get("actors", [])}
        places: dict[str, Place] = {}
        for entry in data.get("places", []):
            places[entry["name"]] = _place(entry, places)
        articles = [_describe(entry, Path(seed_dir), actors, places) for entry in data.get("articles", [])]
        schedule_suggestions([article.pk for article in articles])
    return SeedReport(articles=articles, actors=len(actors), places=len(places))


def _actor(entry: dict) -> Actor:
    actor, created = Actor.objects.get_or_create(
        name=entry["name"],
        type=entry["type"],
        defaults={"description": entry.get("description", ""), "external_id": entry.get("external_id", "")},
    )
    if not created:
        _complete(actor, {"description": entry.get("description", ""), "external_id": entry.get("external_id", "")})
    for alias in entry.get("alternate_names", []):
        ActorName.objects.get_or_create(actor=actor, name=alias["name"], defaults={"kind": alias["kind"]})
    return actor


def _place(entry: dict, known: dict[str, Place]) -> Place:
    parent = None
    if entry.get("parent"):
        parent = known.get(entry["parent"])
        if parent is None:
            raise SeedError(f"place {entry['name']!r}: its parent {entry['parent']!r} must be listed before it")
    values = {
        "parent": parent,
        "country_code": entry.get("country_code", ""),
        "latitude": entry.get("latitude"),
        "longitude": entry.get("longitude"),
        "external_id": entry.get("external_id", ""),
    }
    place = Place.objects.filter(name=entry["name"], type=entry["type"]).order_by("pk").first()
    if place is None:
        place = Place.objects.create(name=entry["name"], type=entry["type"], **values)
    else:
        _complete(place, values)
    for alias in entry.get("alternate_names", []):
        PlaceName.objects.get_or_create(place=place, name=alias["name"], defaults={"kind": alias["kind"]})
    return place


def _complete(record, values: dict) -> None:
    """Fill the fields that are still empty; leave what someone has already set."""
    missing = {name: value for name, value in values.items() if value not in (None, "") and not getattr(record, name)}
    if missing:
        for name, value in missing.items():
            setattr(record, name, value)
        record.save(update_fields=[*missing, "updated_at"])


def _describe(entry: dict, seed_dir: Path, actors: dict, places: dict) -> Article:
    path = seed_dir / entry["seed"]
    try:
        record = next(plaintext.parse_file(path))
    except FileNotFoundError:
        raise SeedError(f"{entry['seed']}: the fixture names a seed file that is not in {seed_dir}") from None
    article = Article.objects.filter(checksum=record.checksum).order_by("pk").first()
    if article is None:
        raise SeedError(f"{entry['seed']}: the seed article was not imported")
    try:
        wanted_actors = {actors[tuple(key)] for key in entry.get("actors", [])}
        wanted_places = {places[name] for name in entry.get("places", [])}
    except KeyError as exc:
        raise SeedError(f"{entry['seed']}: links to {exc.args[0]!r}, which the fixture does not define") from None
    # Only what is missing: adding an existing link still sends signals that save the article's history.
    if missing_actors := wanted_actors - set(article.actors.all()):
        article.actors.add(*missing_actors)
    if missing_places := wanted_places - set(article.places.all()):
        article.places.add(*missing_places)
    present = {name.lower() for name in article.tags.names()}
    if missing_tags := [tag for tag in entry.get("tags", []) if tag.lower() not in present]:
        article.tags.add(*missing_tags)
    # A draft becomes what the fixture says; an article someone has reviewed or withdrawn keeps its status.
    if article.status == ArticleStatus.DRAFT and entry.get("status", ArticleStatus.DRAFT) != ArticleStatus.DRAFT:
        article.status = entry["status"]
        article.save(update_fields=["status", "updated_at"])
    return article
