"""Reads for the OAI-PMH provider: records in keyset pages, sets, and the repository's earliest datestamp.

Lists are paged on the article id, which never changes, and the next page
starts after the last id sent: an edit, a publication, a withdrawal or a
deletion between two pages moves a record's datestamp or status, never its
place in the list, so no record is sent twice or skipped. Each page is an
index range scan from that id (on the set's memberships when a set is
asked for), as fast on the last page of a large archive as on the first.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, Min, OuterRef

from archive.models import OaiRecord, OaiSet, OaiSetMembership


@dataclass(frozen=True)
class RecordFilter:
    """What a ListRecords or ListIdentifiers request selects: datestamps in [since, before), a set."""

    since: dt.datetime | None = None
    before: dt.datetime | None = None
    set_spec: str | None = None


def _records(selection: RecordFilter):
    records = OaiRecord.objects.all()
    if selection.since is not None:
        records = records.filter(datestamp__gte=selection.since)
    if selection.before is not None:
        records = records.filter(datestamp__lt=selection.before)
    return records


def records_page(selection: RecordFilter, *, after: int, size: int) -> tuple[list[OaiRecord], bool]:
    """Up to ``size`` records with ids above ``after``, in id order, and whether more follow."""
    spec = selection.set_spec
    if spec is not None and ":" in spec:
        # The position bounds both sides of the join: PostgreSQL carries equalities across a join, not ranges,
        # and would otherwise read the records from the first one on every page.
        records = _records(selection).filter(
            article_id__gt=after, memberships__spec=spec, memberships__record_id__gt=after
        )
        found = list(records.order_by("article_id")[: size + 1])
    else:
        found = list(
            _in_kind(_records(selection), spec).filter(article_id__gt=after).order_by("article_id")[: size + 1]
        )
    return found[:size], len(found) > size


def _in_kind(records, spec: str | None):
    """A kind of set (``tag``, ``country``, ``source``) holds every record in one of its sets."""
    if spec is None:
        return records
    members = OaiSetMembership.objects.filter(record_id=OuterRef("article_id"), spec__startswith=f"{spec}:")
    return records.filter(Exists(members))


def count_records(selection: RecordFilter) -> int:
    records = _records(selection)
    if selection.set_spec is not None and ":" in selection.set_spec:
        return records.filter(memberships__spec=selection.set_spec).count()
    return _in_kind(records, selection.set_spec).count()


def record(article_id: int) -> OaiRecord | None:
    return OaiRecord.objects.filter(article_id=article_id).first()


def set_specs(record_ids: list[int]) -> dict[int, list[str]]:
    """The sets each record is in, as its header lists them: its tags, countries and source."""
    specs: dict[int, list[str]] = {pk: [] for pk in record_ids}
    members = OaiSetMembership.objects.filter(record_id__in=record_ids).order_by("spec")
    for record_id, spec in members.values_list("record_id", "spec"):
        specs[record_id].append(spec)
    return specs


def earliest_datestamp() -> dt.datetime | None:
    return OaiRecord.objects.aggregate(earliest=Min("datestamp"))["earliest"]


def has_sets() -> bool:
    return OaiSet.objects.exists()


def sets_page(*, after: str, size: int) -> tuple[list[OaiSet], bool]:
    found = list(OaiSet.objects.filter(spec__gt=after).order_by("spec")[: size + 1])
    return found[:size], len(found) > size


def count_sets() -> int:
    return OaiSet.objects.count()
