"""Storing imported articles: streaming, batched, idempotent, safe to interrupt.

Parsers (``archive.importers``) yield plain records one at a time; this
module stores them in batches of ``batch_size``, one transaction per batch,
with bulk inserts and a per-run cache of actors, places and tags, so the
number of queries grows with the number of batches, not of articles.

Identity: a record with a provider id (Reuters NEWID, the ``id`` column) is
the article with that source and provider id, and a re-import updates it. A
record without one is identified by the checksum of its text, and a
re-import leaves the stored article, and the archivists' work on it, alone.
Updates rewrite the fields the source provides and add the links it names;
they never remove links, never change the status and never touch an
existing actor, place or tag record.

Interruption: every committed batch is complete, with its index updates
queued in the same transaction (the outbox in ``archive.search.indexing``),
so running the same import again finishes the work without duplicates, and
leaves what one unbroken run would: a dateline place that a later batch
created is linked as a link, not as a new version of the story.
"""

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, reset_queries, transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify
from taggit.models import Tag, TaggedItem
from tqdm import tqdm

from archive import importers
from archive.importers.files import detect_format, expand_paths
from archive.importers.records import ActorRef, ArticleRecord, ParseError, PlaceRef, RecordError
from archive.models import Actor, ActorName, ActorType, Article, ArticleStatus, Place, PlaceName, PlaceType
from archive.search import indexing
from archive.services.bulk import insert_rows
from archive.services.suggestions import suggest_for_articles

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
# A progress bar is worth its lines on stderr from this many records on.
PROGRESS_THRESHOLD = 20

# The fields a source provides; an update compares and rewrites exactly these.
SOURCE_FIELDS = (
    "title",
    "body",
    "byline",
    "source_url",
    "language",
    "published_start",
    "published_end",
    "published_precision",
    "published_at",
    "dateline",
    "source_file",
    "checksum",
)


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    flagged_duplicates: int = 0
    failures: list[str] = field(default_factory=list)
    # Problems that cost no record, such as suggestions that could not be made.
    warnings: list[str] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.failures)

    @property
    def processed(self) -> int:
        return self.created + self.updated + self.unchanged + self.failed

    def summary(self) -> str:
        line = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, {self.failed} failed"
        if self.flagged_duplicates:
            line += f"; {self.flagged_duplicates} flagged as likely duplicates of an earlier article"
        return line


def articles_import(
    *,
    paths: Iterable[str | Path],
    format: str | None = None,
    publish: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: bool = False,
    suggest: bool = True,
    report: ImportReport | None = None,
) -> ImportReport:
    """Import every record in the files and folders at ``paths``; problems go into the report, not exceptions.

    Pass your own ``report`` to know how far an interrupted run got. Without
    ``suggest`` no access points are suggested for the articles it stores
    (``suggest_access_points`` does it later).
    """
    report = report if report is not None else ImportReport()
    paths = list(paths)
    total = _count(paths, format) if progress else 0
    bar = tqdm(
        total=total, unit="article", disable=not progress or total < PROGRESS_THRESHOLD, dynamic_ncols=True, leave=True
    )
    writer = _BatchWriter(publish=publish, suggest=suggest, report=report)
    batch: list[ArticleRecord] = []
    keys: set = set()
    try:
        for record in _records(paths, format, report, bar):
            key = _identity(record)
            if key in keys or len(batch) >= batch_size:
                writer.write(batch)
                batch, keys = [], set()
            batch.append(record)
            keys.add(key)
        writer.write(batch)
        writer.link_late_datelines()
    finally:
        bar.close()
    if not transaction.get_connection().in_atomic_block:
        # Updates queued by an earlier, interrupted run that nothing in this one has flushed.
        indexing.flush()
    return report


def _count(paths: list, format: str | None) -> int:
    total = 0
    for path in expand_paths(paths, format=format):
        if isinstance(path, Path):
            try:
                total += importers.count_records(path, format or detect_format(path))
            except ParseError:
                total += 1
        else:
            total += 1
    return total


def _records(paths: list, format: str | None, report: ImportReport, bar: tqdm) -> Iterator[ArticleRecord]:
    """Every good record in file order; every problem into the report with the file (and record) it concerns.

    A file or record over ``ARCHIVE_MAX_ARTICLE_BYTES`` is one of those problems, found before it is read whole.
    """
    for path in expand_paths(paths, format=format):
        if isinstance(path, ParseError):
            report.failures.append(str(path))
            bar.update(1)
            continue
        try:
            for item in importers.parse_path(
                path, format or detect_format(path), max_bytes=settings.ARCHIVE_MAX_ARTICLE_BYTES
            ):
                bar.update(1)
                if isinstance(item, RecordError):
                    report.failures.append(str(item))
                else:
                    yield item
        except ParseError as exc:
            report.failures.append(str(exc))
            bar.update(1)
        except OSError as exc:
            report.failures.append(f"{path.name}: cannot be read ({exc.strerror or exc})")
            bar.update(1)


def _identity(record: ArticleRecord) -> tuple[str, ...]:
    return ("provider", record.source, record.provider_id) if record.provider_id else ("checksum", record.checksum)


class _BatchWriter:
    """Writes batches of records; remembers the ids of actors, places and tags for the whole run."""

    def __init__(self, *, publish: bool, suggest: bool, report: ImportReport):
        self.publish = publish
        self.suggest = suggest
        self.report = report
        self.actors: dict[tuple[str, str], int] = {}
        self.places: dict[tuple[str, str], int] = {}
        self.tags: dict[str, int] = {}
        self.dateline_places: dict[str, int | None] = {}
        # Dateline names that matched no place until a later batch created one.
        self.late_datelines: dict[str, int] = {}
        self.content_type: ContentType | None = None

    def write(self, records: list[ArticleRecord]) -> None:
        """One transaction for the batch; if it fails, each record on its own so one bad record costs only itself."""
        if not records:
            return
        if settings.DEBUG:
            # Django then keeps the last 9,000 queries, and an import's long IN lists would hold on to much memory.
            reset_queries()
        try:
            self._write_atomically(records)
            return
        except DatabaseError as exc:
            if len(records) == 1:
                self.report.failures.append(f"{records[0].label}: could not be stored ({exc})")
                return
        for record in records:
            try:
                self._write_atomically([record])
            except DatabaseError as exc:
                self.report.failures.append(f"{record.label}: could not be stored ({exc})")

    def _write_atomically(self, records: list[ArticleRecord]) -> None:
        counts = (self.report.created, self.report.updated, self.report.unchanged, self.report.flagged_duplicates)
        # What earlier, committed batches learnt of datelines stays true when this one is rolled back.
        dateline_places, late_datelines = dict(self.dateline_places), dict(self.late_datelines)
        committed = []
        try:
            with transaction.atomic():
                # Registered first, so it runs before the index update that follows the commit.
                transaction.on_commit(lambda: committed.append(True))
                with indexing.collected():
                    self._write(records)
        except BaseException:
            if committed:
                raise  # Stopped while indexing after the commit: the batch is stored and its queue rows with it.
            # The transaction is gone (a database error, Ctrl-C): forget what it created, and the counts it added.
            self.actors.clear()
            self.places.clear()
            self.tags.clear()
            self.dateline_places, self.late_datelines = dateline_places, late_datelines
            (
                self.report.created,
                self.report.updated,
                self.report.unchanged,
                self.report.flagged_duplicates,
            ) = counts
            raise

    def _write(self, records: list[ArticleRecord]) -> None:
        now = timezone.now()
        existing = self._existing(records)
        actor_ids = self._actor_ids([ref for record in records for ref in record.actors])
        place_ids = self._place_ids([ref for record in records for ref in record.places])
        tag_ids = self._tag_ids([tag for record in records for tag in record.tags])
        dateline_ids = self._dateline_place_ids([record.dateline_place for record in records if record.dateline_place])

        new: list[tuple[ArticleRecord, Article]] = []
        changed: list[tuple[ArticleRecord, Article]] = []
        linked: list[tuple[ArticleRecord, int]] = []
        for record in records:
            article = existing.get(_identity(record))
            if article is None:
                new.append((record, self._new_article(record, now, dateline_ids)))
            elif record.provider_id:
                changed.append((record, article))
            else:
                self.report.unchanged += 1

        created = self._create(new)
        links = self._links_of([article.pk for _, article in changed])
        updated: list[Article] = []
        relinked: list[Article] = []
        for record, article in changed:
            fields_changed = self._apply(record, article)
            # A dateline place is a link, like the others: linking it is no new version of the text, and
            # its suggestions stay as they were, as when link_late_datelines links it in an unbroken run.
            dateline_linked = self._link_dateline(record, article, dateline_ids)
            missing = self._missing_links(record, article.pk, links, actor_ids, place_ids, tag_ids)
            if fields_changed or dateline_linked or missing:
                if fields_changed:
                    article.version += 1
                    article.updated_at = now
                    updated.append(article)
                elif dateline_linked:
                    relinked.append(article)
                self.report.updated += 1
                linked.append((record, article.pk))
            else:
                self.report.unchanged += 1
        if updated:
            Article.objects.bulk_update(updated, [*SOURCE_FIELDS, "dateline_place", "version", "updated_at"])
        if relinked:
            Article.objects.bulk_update(relinked, ["dateline_place"])
        linked.extend((record, article.pk) for record, article in created)

        self._link(linked, actor_ids, place_ids, tag_ids, links)
        touched = [pk for _, pk in linked]
        self._flag_duplicates(
            [(record, pk) for record, pk in linked if record.provider_id],
            {article.pk: article.duplicate_of_id for _, article in changed},
        )
        # Bulk inserts send no signals: queue the index updates and suggest access points here.
        indexing.queue_articles(touched)
        if self.suggest:
            self._suggest([article.pk for _, article in created] + [article.pk for article in updated])

    def _suggest(self, article_ids: list[int]) -> None:
        """Inside the batch's transaction, so an interrupted import redoes them with the batch;
        a failure here costs the suggestions, never the articles."""
        if not article_ids:
            return
        try:
            with transaction.atomic():
                suggest_for_articles(article_ids=article_ids)
        except Exception as exc:
            logger.exception(
                "Suggesting access points failed for articles %s to %s", min(article_ids), max(article_ids)
            )
            self.report.warnings.append(
                f"Articles {min(article_ids)} to {max(article_ids)}: no access points suggested ({exc}); "
                "run suggest_access_points for them."
            )

    # Finding what is already stored.

    def _existing(self, records: list[ArticleRecord]) -> dict[tuple, Article]:
        found: dict[tuple, Article] = {}
        with_ids = [record for record in records if record.provider_id]
        if with_ids:
            rows = Article.objects.filter(
                source__in={record.source for record in with_ids},
                provider_id__in={record.provider_id for record in with_ids},
            ).only(*SOURCE_FIELDS, "source", "provider_id", "dateline_place", "version", "duplicate_of")
            for article in rows:
                found[("provider", article.source, article.provider_id)] = article
        checksums = {record.checksum for record in records if not record.provider_id}
        if checksums:
            for pk, checksum in Article.objects.filter(checksum__in=checksums).values_list("pk", "checksum"):
                found.setdefault(("checksum", checksum), Article(pk=pk))
        return found

    # Authorities: found once per run, created in bulk when missing.

    def _actor_ids(self, refs: list[ActorRef]) -> dict[tuple[str, str], int]:
        wanted = {(ref.name, ref.type): ref for ref in refs if (ref.name, ref.type) not in self.actors}
        if wanted:
            for pk, name, actor_type in (
                Actor.objects.filter(name__in={name for name, _ in wanted})
                .order_by("pk")
                .values_list("pk", "name", "type")
            ):
                self.actors.setdefault((name, actor_type), pk)
                self.actors.setdefault((name, ""), pk)
            missing = {}
            for (name, actor_type), ref in wanted.items():
                if (name, actor_type) not in self.actors:
                    missing.setdefault((name, actor_type or ActorType.OTHER), ref)
            missing = {key: ref for key, ref in missing.items() if key not in self.actors}
            if missing:
                actors = Actor.objects.bulk_create([Actor(name=name, type=kind) for name, kind in missing])
                names = []
                for actor, ref in zip(actors, missing.values(), strict=True):
                    self.actors[(actor.name, actor.type)] = actor.pk
                    self.actors.setdefault((actor.name, ""), actor.pk)
                    self.actors.setdefault((ref.name, ref.type), actor.pk)
                    names.extend(
                        ActorName(actor_id=actor.pk, name=alias, kind=kind)
                        for alias, kind in dict(ref.alternate_names).items()
                        if alias != actor.name
                    )
                ActorName.objects.bulk_create(names)
        return self.actors

    def _place_ids(self, refs: list[PlaceRef]) -> dict[tuple[str, str], int]:
        wanted = {(ref.name, ref.type): ref for ref in refs if (ref.name, ref.type) not in self.places}
        if wanted:
            for pk, name, place_type in (
                Place.objects.filter(name__in={name for name, _ in wanted})
                .order_by(F("population").desc(nulls_last=True), "pk")
                .values_list("pk", "name", "type")
            ):
                self.places.setdefault((name, place_type), pk)
                self.places.setdefault((name, ""), pk)
            missing = {}
            for (name, place_type), ref in wanted.items():
                if (name, place_type) not in self.places:
                    missing.setdefault((name, place_type or PlaceType.OTHER), ref)
            missing = {key: ref for key, ref in missing.items() if key not in self.places}
            if missing:
                places = Place.objects.bulk_create(
                    [
                        Place(name=name, type=kind, country_code=ref.country_code)
                        for (name, kind), ref in missing.items()
                    ]
                )
                names = []
                for place, ref in zip(places, missing.values(), strict=True):
                    self.places[(place.name, place.type)] = place.pk
                    self.places.setdefault((place.name, ""), place.pk)
                    self.places.setdefault((ref.name, ref.type), place.pk)
                    names.extend(
                        PlaceName(place_id=place.pk, name=alias, kind=kind)
                        for alias, kind in dict(ref.alternate_names).items()
                        if alias != place.name
                    )
                PlaceName.objects.bulk_create(names)
                for place in places:
                    key = place.name.lower()
                    if key in self.dateline_places and self.dateline_places[key] is None:
                        self.dateline_places[key] = self.late_datelines[key] = place.pk
        return self.places

    def _tag_ids(self, names: list[str]) -> dict[str, int]:
        wanted = {name[:100].lower(): name[:100] for name in names if name[:100].lower() not in self.tags}
        if wanted:
            rows = Tag.objects.annotate(key=Lower("name")).filter(key__in=list(wanted)).values_list("key", "pk")
            self.tags.update(rows)
            for key, name in wanted.items():
                if key not in self.tags:
                    # Tags are few; Tag.save() finds a free slug when two names slugify alike.
                    self.tags[key] = Tag.objects.create(name=name).pk
        return self.tags

    def _dateline_place_ids(self, names: list[str]) -> dict[str, int | None]:
        wanted = {name.lower() for name in names} - set(self.dateline_places)
        if wanted:
            rows = (
                Place.objects.annotate(key=Lower("name"))
                .filter(key__in=list(wanted))
                .order_by(F("population").desc(nulls_last=True), "pk")
                .values_list("key", "pk")
            )
            for key, pk in rows:
                self.dateline_places.setdefault(key, pk)
            for key in wanted:
                self.dateline_places.setdefault(key, None)
        return self.dateline_places

    def link_late_datelines(self) -> None:
        """Give earlier articles of the run the dateline place a later batch created, as a re-run would."""
        for name, place_id in self.late_datelines.items():
            with transaction.atomic(), indexing.collected():
                articles = Article.objects.filter(dateline_place__isnull=True, dateline__istartswith=f"{name},")
                ids = list(articles.values_list("pk", flat=True))
                Article.objects.filter(pk__in=ids).update(dateline_place_id=place_id)
                indexing.queue_articles(ids)
        self.late_datelines.clear()

    # Articles.

    def _new_article(self, record: ArticleRecord, now: dt.datetime, dateline_ids: dict) -> Article:
        article = Article(
            source=record.source,
            provider_id=record.provider_id,
            status=ArticleStatus.PUBLISHED if self.publish else ArticleStatus.DRAFT,
            created_at=now,
            updated_at=now,
        )
        self._apply(record, article)
        self._link_dateline(record, article, dateline_ids)
        return article

    def _apply(self, record: ArticleRecord, article: Article) -> bool:
        """Copy the record's fields onto the article; True when anything differed."""
        published = record.published
        values = {
            "title": record.title,
            "body": record.body,
            "byline": record.byline,
            "source_url": record.source_url,
            "language": record.language,
            "published_start": published.start if published else None,
            "published_end": published.end if published else None,
            "published_precision": published.precision if published else "",
            "published_at": published.at if published else None,
            "dateline": record.dateline,
            "source_file": record.source_file,
            "checksum": record.checksum,
        }
        differs = False
        for name, value in values.items():
            if getattr(article, name) != value:
                setattr(article, name, value)
                differs = True
        return differs

    def _link_dateline(self, record: ArticleRecord, article: Article, dateline_ids: dict) -> bool:
        """Link the place the dateline names, when one is known; True when the link changed."""
        place_id = dateline_ids.get(record.dateline_place.lower()) if record.dateline_place else None
        if place_id is None or article.dateline_place_id == place_id:
            return False
        article.dateline_place_id = place_id
        return True

    def _create(self, new: list[tuple[ArticleRecord, Article]]) -> list[tuple[ArticleRecord, Article]]:
        if not new:
            return []
        slugs = _unique_slugs([(record, article) for record, article in new])
        for (_, article), slug in zip(new, slugs, strict=True):
            article.slug = slug
        fields = [field for field in Article._meta.concrete_fields if not field.primary_key]
        insert_rows(Article, fields, [[getattr(article, f.attname) for f in fields] for _, article in new])
        # Slugs are unique: one query maps the new rows back to their ids, on every database.
        ids = dict(Article.objects.filter(slug__in=slugs).values_list("slug", "pk"))
        for _, article in new:
            article.pk = ids[article.slug]
        self.report.created += len(new)
        return new

    # Links to actors, places and tags: added, never removed.

    def _content_type(self) -> ContentType:
        if self.content_type is None:
            self.content_type = ContentType.objects.get_for_model(Article)
        return self.content_type

    def _links_of(self, article_ids: list[int]) -> dict[str, set[tuple[int, int]]]:
        if not article_ids:
            return {"actors": set(), "places": set(), "tags": set()}
        return {
            "actors": set(
                Article.actors.through.objects.filter(article_id__in=article_ids).values_list("article_id", "actor_id")
            ),
            "places": set(
                Article.places.through.objects.filter(article_id__in=article_ids).values_list("article_id", "place_id")
            ),
            "tags": set(
                TaggedItem.objects.filter(content_type=self._content_type(), object_id__in=article_ids).values_list(
                    "object_id", "tag_id"
                )
            ),
        }

    def _wanted_links(self, record, pk, actor_ids, place_ids, tag_ids) -> dict[str, set[tuple[int, int]]]:
        return {
            "actors": {(pk, actor_ids[(ref.name, ref.type)]) for ref in record.actors},
            "places": {(pk, place_ids[(ref.name, ref.type)]) for ref in record.places},
            "tags": {(pk, tag_ids[tag[:100].lower()]) for tag in record.tags},
        }

    def _missing_links(self, record, pk, links, actor_ids, place_ids, tag_ids) -> bool:
        wanted = self._wanted_links(record, pk, actor_ids, place_ids, tag_ids)
        return any(wanted[kind] - links[kind] for kind in wanted)

    def _link(self, linked, actor_ids, place_ids, tag_ids, links) -> None:
        actors, places, tags = set(), set(), set()
        for record, pk in linked:
            wanted = self._wanted_links(record, pk, actor_ids, place_ids, tag_ids)
            actors |= wanted["actors"] - links["actors"]
            places |= wanted["places"] - links["places"]
            tags |= wanted["tags"] - links["tags"]
        for through, target, pairs in (
            (Article.actors.through, "actor", actors),
            (Article.places.through, "place", places),
        ):
            fields = [through._meta.get_field("article"), through._meta.get_field(target)]
            insert_rows(through, fields, sorted(pairs))
        content_type = self._content_type().pk
        fields = [TaggedItem._meta.get_field(name) for name in ("content_type", "object_id", "tag")]
        insert_rows(TaggedItem, fields, [(content_type, pk, tag) for pk, tag in sorted(tags)])

    def _flag_duplicates(self, stored: list[tuple[ArticleRecord, int]], current: dict[int, int | None]) -> None:
        """Point each article at the earliest other article with the same text (the wire sent it twice)."""
        if not stored:
            return
        earliest: dict[str, int] = {}
        rows = Article.objects.filter(checksum__in={record.checksum for record, _ in stored}).order_by("-pk")
        for pk, checksum in rows.values_list("pk", "checksum"):
            earliest[checksum] = pk
        changed = []
        for record, pk in stored:
            first = earliest[record.checksum]
            target = first if first < pk else None
            if current.get(pk) != target:
                changed.append(Article(pk=pk, duplicate_of_id=target))
                self.report.flagged_duplicates += target is not None
        if changed:
            Article.objects.bulk_update(changed, ["duplicate_of"])


def _unique_slugs(new: list[tuple[ArticleRecord, Article]]) -> list[str]:
    """Title and date, and where that is taken the provider id or a piece of the checksum: stable across runs."""
    bases = []
    for record, article in new:
        words = slugify(record.title)[:200].strip("-") or "article"
        bases.append(f"{words}-{article.published_start:%Y-%m-%d}" if article.published_start else words)
    fallbacks = [
        f"{base}-{slugify(record.provider_id)[:40] or record.checksum[:10]}"
        for base, (record, _) in zip(bases, new, strict=True)
    ]
    taken = set(Article.objects.filter(slug__in={*bases, *fallbacks}).values_list("slug", flat=True))
    slugs = []
    for base, fallback in zip(bases, fallbacks, strict=True):
        slug = base if base not in taken else fallback
        counter = 2
        while slug in taken:
            slug = f"{fallback}-{counter}"
            counter += 1
            if slug not in taken and Article.objects.filter(slug=slug).exists():
                taken.add(slug)
        taken.add(slug)
        slugs.append(slug)
    return slugs
