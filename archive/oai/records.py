"""Writes on the OAI-PMH records: datestamps, deletions and set memberships, in the change's transaction.

``records_touch`` is called by ``queue_articles``, which every change that
can alter what an article shows already goes through (saves, link edits
from either side, renames and merges of tags, actors and places, bulk
actions, imports), inside the transaction that makes the change. A
published article's record gets a new datestamp and its sets are read
again; an article that is no longer published (withdrawn, back to draft,
deleted) turns its record into a deleted one, which keeps the sets it was
last published in, so a harvester of those sets learns of the removal.

A datestamp is taken before the transaction commits, and a harvest that
runs in between cannot see the change yet; a harvester that then asks for
changes ``from`` that harvest's time would miss it. So once the change has
committed, its records are stamped again with the commit's time.
"""

from collections import defaultdict
from collections.abc import Iterable
from functools import partial

import pycountry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from taggit.models import TaggedItem

from archive.models import (
    Article,
    ArticleStatus,
    AuthorityStatus,
    OaiRecord,
    OaiSet,
    OaiSetMembership,
    Place,
    PlaceType,
)
from archive.oai import sets

# Articles read and written at a time: a tag renamed on 50,000 articles must not build one huge IN list.
CHUNK = 1000


def records_touch(article_ids: Iterable[int]) -> None:
    """Bring these articles' records up to date; to be called inside the transaction that changed them."""
    ids = sorted({int(pk) for pk in article_ids if pk is not None})
    if not ids:
        return
    stamped = timezone.now()
    touched = []
    for start in range(0, len(ids), CHUNK):
        touched += _touch_chunk(ids[start : start + CHUNK], stamped)
    if touched:
        transaction.on_commit(partial(_restamp, touched, stamped), robust=True)


def _touch_chunk(ids: list[int], stamped) -> list[int]:
    statuses = dict(Article.objects.filter(pk__in=ids).values_list("pk", "status"))
    published = [pk for pk in ids if statuses.get(pk) == ArticleStatus.PUBLISHED]
    unpublished = [pk for pk in ids if statuses.get(pk) != ArticleStatus.PUBLISHED]
    if published:
        # Sorted rows lock in one order, so two transactions touching the same records cannot deadlock;
        # the lock also keeps a concurrent touch from reading the memberships before this one commits.
        OaiRecord.objects.bulk_create(
            [OaiRecord(article_id=pk, datestamp=stamped, deleted=False) for pk in published],
            update_conflicts=True,
            unique_fields=["article_id"],
            update_fields=["datestamp", "deleted"],
        )
        _refresh_memberships(published)
    withdrawn = []
    if unpublished:
        # A record already deleted stays as it is: nothing a harvester can see has changed.
        now_deleted = OaiRecord.objects.filter(article_id__in=unpublished, deleted=False)
        withdrawn = list(now_deleted.values_list("article_id", flat=True))
        now_deleted.update(deleted=True, datestamp=stamped)
    return published + withdrawn


def _restamp(article_ids: list[int], stamped) -> None:
    """After the commit: the records this change stamped get the time it became visible."""
    now = timezone.now()
    for start in range(0, len(article_ids), CHUNK):
        chunk = article_ids[start : start + CHUNK]
        OaiRecord.objects.filter(article_id__in=chunk, datestamp=stamped).update(datestamp=now)


def _refresh_memberships(article_ids: list[int]) -> None:
    wanted = set_memberships(article_ids)
    existing = OaiSetMembership.objects.filter(record_id__in=article_ids).values_list("pk", "record_id", "spec")
    present = set()
    stale = []
    for pk, record_id, spec in existing:
        if spec in wanted[record_id]:
            present.add((record_id, spec))
        else:
            stale.append(pk)
    if stale:
        OaiSetMembership.objects.filter(pk__in=stale).delete()
    OaiSetMembership.objects.bulk_create(
        [
            OaiSetMembership(record_id=record_id, spec=spec)
            for record_id, specs in sorted(wanted.items())
            for spec in sorted(specs)
            if (record_id, spec) not in present
        ]
    )
    _declare_sets({spec: name for specs in wanted.values() for spec, name in specs.items()})


def _declare_sets(names: dict[str, str]) -> None:
    """Add the sets ListSets does not know yet, and follow renames.

    Existing rows are only written when their name changed: every save names
    the top-level sets, and rewriting them would make concurrent saves queue
    behind one another's row locks.
    """
    known = dict(OaiSet.objects.filter(spec__in=list(names)).values_list("spec", "name"))
    OaiSet.objects.bulk_create(
        [OaiSet(spec=spec, name=name) for spec, name in sorted(names.items()) if spec not in known],
        ignore_conflicts=True,
    )
    for spec in sorted(spec for spec in names if spec in known and known[spec] != names[spec]):
        OaiSet.objects.filter(spec=spec).update(name=names[spec])


def set_memberships(article_ids: list[int]) -> dict[int, dict[str, str]]:
    """Each article's sets, spec to name: its tags, the countries of its published places, its source."""
    memberships: dict[int, dict[str, str]] = defaultdict(dict)
    for pk, source in Article.objects.filter(pk__in=article_ids).exclude(source="").values_list("pk", "source"):
        memberships[pk][sets.SOURCE] = sets.KIND_NAMES[sets.SOURCE]
        memberships[pk][sets.source_spec(source)] = sets.leaf_name(sets.SOURCE, source)
    tagged = TaggedItem.objects.filter(
        content_type=ContentType.objects.get_for_model(Article), object_id__in=article_ids
    )
    for pk, tag_pk, slug, name in tagged.values_list("object_id", "tag_id", "tag__slug", "tag__name"):
        memberships[pk][sets.TAG] = sets.KIND_NAMES[sets.TAG]
        memberships[pk][sets.tag_spec(slug=slug, pk=tag_pk)] = sets.leaf_name(sets.TAG, name)
    links = Article.places.through.objects.filter(article_id__in=article_ids, place__status=AuthorityStatus.PUBLISHED)
    countries = CountryResolver()
    for pk, place_id in links.values_list("article_id", "place_id"):
        code = countries.code_of(place_id)
        if code:
            memberships[pk][sets.COUNTRY] = sets.KIND_NAMES[sets.COUNTRY]
            memberships[pk][sets.country_spec(code)] = sets.leaf_name(sets.COUNTRY, countries.name_of(code))
    return memberships


class CountryResolver:
    """A place's country: the code of the nearest place up its hierarchy that has one.

    Places are read level by level as they are asked for, never the whole
    gazetteer.
    """

    def __init__(self):
        self.rows: dict[int, tuple[int | None, str]] = {}
        self.names: dict[str, str] = {}

    def code_of(self, place_id: int) -> str:
        seen, node = set(), place_id
        while node is not None and node not in seen:
            if node not in self.rows:
                self._load_upwards(node)
                if node not in self.rows:
                    return ""
            parent_id, code = self.rows[node]
            if code:
                return code.upper()
            seen.add(node)
            node = parent_id
        return ""

    def _load_upwards(self, place_id: int) -> None:
        wanted = {place_id}
        while wanted:
            found = Place.objects.filter(pk__in=wanted).values_list("pk", "parent_id", "country_code")
            for pk, parent_id, code in found:
                self.rows[pk] = (parent_id, code)
            wanted = {parent for parent, code in self.rows.values() if parent is not None and not code} - set(self.rows)

    def name_of(self, code: str) -> str:
        """The archive's own country record names it; else ISO 3166 (current, then former); else the code."""
        if code not in self.names:
            own = (
                Place.objects.filter(
                    type=PlaceType.COUNTRY, status=AuthorityStatus.PUBLISHED, country_code__iexact=code
                )
                .order_by("pk")
                .values_list("name", flat=True)
                .first()
            )
            known = pycountry.countries.get(alpha_2=code) or pycountry.historic_countries.get(alpha_2=code)
            self.names[code] = own or (known.name if known else code)
        return self.names[code]
