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
from archive.services.bulk import insert_rows

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
        # Rows in id order lock in one order, so two transactions touching the same records cannot deadlock;
        # the lock also keeps a concurrent touch from reading the memberships before this one commits.
        fields = [OaiRecord._meta.get_field(name) for name in ("article_id", "datestamp", "deleted")]
        insert_rows(OaiRecord, fields, [(pk, stamped, False) for pk in published], update_on_conflict=fields[0])
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
    wanted, names = set_memberships(article_ids)
    existing = OaiSetMembership.objects.filter(record_id__in=article_ids).values_list("pk", "record_id", "spec")
    present, stale = set(), []
    for pk, record_id, spec in existing:
        if spec in wanted[record_id]:
            present.add((record_id, spec))
        else:
            stale.append(pk)
    if stale:
        OaiSetMembership.objects.filter(pk__in=stale).delete()
    fields = [OaiSetMembership._meta.get_field(name) for name in ("record", "spec")]
    added = sorted((pk, spec) for pk, specs in wanted.items() for spec in specs if (pk, spec) not in present)
    insert_rows(OaiSetMembership, fields, added)
    _declare_sets(names)


def _declare_sets(names: dict[str, str]) -> None:
    """Add the sets ListSets does not know yet, and follow renames.

    Existing rows are only written when their name changed: every save names
    the kinds of sets, and rewriting those rows would make concurrent saves
    queue behind one another's row locks.
    """
    known = dict(OaiSet.objects.filter(spec__in=list(names)).values_list("spec", "name"))
    OaiSet.objects.bulk_create(
        [OaiSet(spec=spec, name=name) for spec, name in sorted(names.items()) if spec not in known],
        ignore_conflicts=True,
    )
    for spec in sorted(spec for spec in names if spec in known and known[spec] != names[spec]):
        OaiSet.objects.filter(spec=spec).update(name=names[spec])


def set_memberships(article_ids: list[int]) -> tuple[dict[int, set[str]], dict[str, str]]:
    """Each article's sets (its tags, the countries of its published places, its source), and every set's name.

    Only sets of one tag, country or source are stored per record; a kind of
    set (``tag``) holds the records that are in any set of that kind.
    """
    memberships: dict[int, set[str]] = defaultdict(set)
    names: dict[str, str] = {}

    def add(article_id: int, kind: str, spec: str, name: str) -> None:
        memberships[article_id].add(spec)
        names[spec] = sets.leaf_name(kind, name)
        names[kind] = sets.KIND_NAMES[kind]

    source_specs: dict[str, str] = {}  # an import's thousands of articles come from a handful of sources
    for pk, source in Article.objects.filter(pk__in=article_ids).exclude(source="").values_list("pk", "source"):
        if source not in source_specs:
            source_specs[source] = sets.source_spec(source)
        add(pk, sets.SOURCE, source_specs[source], source)
    tagged = TaggedItem.objects.filter(
        content_type=ContentType.objects.get_for_model(Article), object_id__in=article_ids
    )
    for pk, tag_pk, slug, name in tagged.values_list("object_id", "tag_id", "tag__slug", "tag__name"):
        add(pk, sets.TAG, sets.tag_spec(slug=slug, pk=tag_pk), name)
    links = list(
        Article.places.through.objects.filter(
            article_id__in=article_ids, place__status=AuthorityStatus.PUBLISHED
        ).values_list("article_id", "place_id")
    )
    codes = country_codes({place_id for _, place_id in links})
    countries = country_names(set(codes.values()))
    for pk, place_id in links:
        if codes[place_id]:
            add(pk, sets.COUNTRY, sets.country_spec(codes[place_id]), countries[codes[place_id]])
    return memberships, names


def country_codes(place_ids: set[int]) -> dict[int, str]:
    """Each place's country: the code of the nearest place up its hierarchy that has one ("" if none does).

    The places and the ones above them are read a level at a time, a query
    per level for all of them.
    """
    rows: dict[int, tuple[int | None, str]] = {}
    wanted = set(place_ids)
    while wanted:
        for pk, parent_id, code in Place.objects.filter(pk__in=wanted).values_list("pk", "parent_id", "country_code"):
            rows[pk] = (parent_id, code.upper())
        wanted = {parent for parent, code in rows.values() if parent is not None and not code} - set(rows)
    codes = {}
    for place_id in place_ids:
        seen, node, code = set(), place_id, ""
        while node in rows and node not in seen and not code:
            seen.add(node)
            node, code = rows[node]
        codes[place_id] = code
    return codes


def country_names(codes: set[str]) -> dict[str, str]:
    """The archive's own country record names a country; else ISO 3166 (current, then former); else its code."""
    codes.discard("")
    own = {}
    records = Place.objects.filter(type=PlaceType.COUNTRY, status=AuthorityStatus.PUBLISHED, country_code__in=codes)
    for code, name in records.order_by("-pk").values_list("country_code", "name"):
        own[code.upper()] = name
    names = {}
    for code in codes:
        known = (
            None
            if code in own
            else pycountry.countries.get(alpha_2=code) or pycountry.historic_countries.get(alpha_2=code)
        )
        names[code] = own.get(code) or (known.name if known else code)
    return names
