"""Writes on authority records: merging duplicate actors, places and tags, and who may publish them.

A merge moves every link to the surviving record, keeps the merged
records' names as its alternate names (tags have none: their names go), and
deletes the merged records, in one transaction inside ``collected()`` so
the affected articles are reindexed in one batch after the commit.
"""

import csv
import io
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Model
from taggit.models import Tag, TaggedItem

from archive.csv_cells import restore_cell
from archive.models import (
    Actor,
    ActorName,
    Article,
    AuthorityChange,
    AuthorityStatus,
    Place,
    PlaceName,
    Suggestion,
)
from archive.search.indexing import collected, queue_articles
from archive.services.articles import articles_relink

PUBLISH_PERMISSION = "archive.publish_article"


def authorities_changed() -> None:
    """Record that authority records were written: one ``AuthorityChange`` row, in the writer's transaction.

    The row commits or rolls back with the change, and the version it adds
    to (``authority_version``) marks every article's suggestions stale.
    Receivers call it on every save and delete of a record or a name;
    writers that send no signals (``bulk_update``) call it themselves. One
    row per write, not per transaction: suggestions made inside a
    transaction must not pass for fresh after a later write in it.
    """
    AuthorityChange.objects.create()


def authority_status_error(*, user: AbstractBaseUser, old: str | None, new: str) -> str:
    """Publishing an actor or place is an editor's decision, like publishing an article."""
    if new == AuthorityStatus.PUBLISHED and old != new and not user.has_perm(PUBLISH_PERMISSION):
        return "Only editors may publish this record; save it as a draft for an editor to check."
    return ""


@dataclass
class MergePlan:
    """What a merge will do, shown before it is done."""

    survivor: Model
    merged: list[Model]
    article_ids: list[int]
    new_names: list[str] = field(default_factory=list)
    moved_children: int = 0
    datelines: int = 0

    @property
    def article_count(self) -> int:
        return len(self.article_ids)


def _relation(model: type[Model]) -> str:
    return {Actor: "actors", Place: "places", Tag: "tags"}[model]


def linked_article_ids(records: list[Model]) -> list[int]:
    model = type(records[0])
    ids = [record.pk for record in records]
    if model is Tag:
        rows = TaggedItem.objects.filter(
            tag_id__in=ids, content_type__app_label="archive", content_type__model="article"
        )
        return sorted(set(rows.values_list("object_id", flat=True)))
    through = getattr(Article, _relation(model)).through
    key = f"{model._meta.model_name}_id__in"
    return sorted(set(through.objects.filter(**{key: ids}).values_list("article_id", flat=True)))


def merge_plan(*, survivor: Model, merged: list[Model]) -> MergePlan:
    """Work out a merge without changing anything."""
    merged = [record for record in merged if record.pk != survivor.pk]
    if not merged:
        raise ValueError("Choose at least one record other than the one that survives.")
    if any(type(record) is not type(survivor) for record in merged):
        raise ValueError("Only records of one kind can be merged.")
    plan = MergePlan(survivor=survivor, merged=merged, article_ids=linked_article_ids(merged))
    if isinstance(survivor, Actor | Place):
        known = {name.lower() for name in survivor.all_names()}
        for record in merged:
            for name in record.all_names():
                if name.lower() not in known:
                    known.add(name.lower())
                    plan.new_names.append(name)
    if isinstance(survivor, Place):
        others = [record.pk for record in merged]
        plan.moved_children = Place.objects.filter(parent_id__in=others).exclude(pk=survivor.pk).count()
        plan.datelines = Article.objects.filter(dateline_place_id__in=others).count()
    return plan


def authorities_merge(*, survivor: Model, merged: list[Model], user: AbstractBaseUser) -> MergePlan:
    """Merge ``merged`` into ``survivor``; returns the plan that was carried out."""
    with transaction.atomic(), collected():
        plan = merge_plan(survivor=survivor, merged=merged)
        others = plan.merged
        articles_relink(
            relation=_relation(type(survivor)),
            old_ids=[record.pk for record in others],
            new_id=survivor.pk,
            user=user,
            reason=f"Merged {', '.join(str(record) for record in others)} into {survivor}",
        )
        if isinstance(survivor, Actor):
            ActorName.objects.bulk_create([ActorName(actor=survivor, name=name) for name in plan.new_names])
            Suggestion.objects.filter(actor__in=others).update(actor=survivor)
        elif isinstance(survivor, Place):
            _merge_place_links(survivor, others, plan)
        for record in others:
            record.delete()
        if plan.new_names:
            # Bulk-created names send no signal; the survivor's articles carry its names.
            queue_articles(linked_article_ids([survivor]))
    return plan


def _merge_place_links(survivor: Place, others: list[Place], plan: MergePlan) -> None:
    other_ids = [record.pk for record in others]
    PlaceName.objects.bulk_create([PlaceName(place=survivor, name=name) for name in plan.new_names])
    Suggestion.objects.filter(place__in=other_ids).update(place=survivor)
    if survivor.parent_id in other_ids:
        # The survivor was inside a merged place: it takes that place's position in the hierarchy.
        survivor.parent = Place.objects.get(pk=survivor.parent_id).parent
        survivor.save(update_fields=["parent", "updated_at"])
    for child in Place.objects.filter(parent_id__in=other_ids).exclude(pk=survivor.pk):
        child.parent = survivor
        child.save(update_fields=["parent", "updated_at"])
    datelined = list(Article.objects.filter(dateline_place_id__in=other_ids).values_list("pk", flat=True))
    Article.objects.filter(pk__in=datelined).update(dateline_place=survivor)
    queue_articles(datelined)


# Authority lists as CSV. Columns by kind; lists in a cell are joined with "; ".
CSV_COLUMNS = {
    Actor: ("name", "type", "alternate_names", "description", "external_id", "status"),
    Place: (
        "name",
        "type",
        "alternate_names",
        "parent",
        "country_code",
        "latitude",
        "longitude",
        "external_id",
        "status",
    ),
}
LIST_SEPARATOR = ";"


def authority_csv_rows(*, records: Iterable[Model]) -> Iterator[list[str]]:
    """The header, then one row per actor or place, in the columns ``authorities_csv_import`` reads."""
    records = iter(records)
    first = next(records, None)
    if first is None:
        return
    columns = CSV_COLUMNS[type(first)]
    yield list(columns)
    for record in itertools.chain([first], records):
        values = {
            "alternate_names": "; ".join(name.name for name in record.alternate_names.all()),
            "parent": record.parent.name if getattr(record, "parent", None) else "",
        }
        yield [values[c] if c in values else _csv_text(getattr(record, c)) for c in columns]


def _csv_text(value) -> str:
    return "" if value is None else str(value)


@dataclass
class CheckedRow:
    line: int
    fields: dict
    names: list[str]
    parent_name: str = ""


@dataclass
class CsvCheck:
    """Every row of an authority CSV, checked before anything is written."""

    rows: list[CheckedRow] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)


def authorities_csv_check(*, model: type[Model], text: str, user: AbstractBaseUser) -> CsvCheck:
    """Check every row; rejected rows are listed with their line number and the reason."""
    check = CsvCheck()
    columns = CSV_COLUMNS[model]
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    unknown = [name for name in header if name not in columns]
    if "name" not in header or "type" not in header or unknown:
        check.rejected.append(
            (1, f"The header must name the columns name and type, and only these columns: {', '.join(columns)}.")
        )
        return check
    reader.fieldnames = header
    types = {key.lower(): value for value, label in model._meta.get_field("type").choices for key in (value, label)}
    seen: set[tuple[str, str]] = set()
    defined_in_file: set[str] = set()
    for line, raw in enumerate(reader, start=2):
        values = {key: restore_cell((value or "").strip()) for key, value in raw.items() if key is not None}
        try:
            row = _check_row(model, values, line, types, user)
            key = (row.fields["name"].lower(), row.fields["type"])
            if key in seen:
                raise ValueError(f"{row.fields['name']} ({row.fields['type']}) appears twice in the file")
            if row.parent_name and row.parent_name.lower() not in defined_in_file:
                _existing_parent(row.parent_name)
        except ValueError as exc:
            check.rejected.append((line, str(exc)))
            continue
        seen.add(key)
        defined_in_file.add(row.fields["name"].lower())
        check.rows.append(row)
    return check


def _check_row(model, values: dict, line: int, types: dict, user) -> CheckedRow:
    name = values.get("name", "")
    if not name:
        raise ValueError("the name is empty")
    kind = types.get(values.get("type", "").lower())
    if kind is None:
        allowed = ", ".join(value for value, _ in model._meta.get_field("type").choices)
        raise ValueError(f"the type {values.get('type', '')!r} is not one of: {allowed}")
    fields = {"name": name, "type": kind}
    # Only the columns the file has are written, so a short file never blanks stored values.
    status = values.get("status", "").lower()
    if status:
        if status not in AuthorityStatus.values:
            raise ValueError(f"the status {status!r} is not draft or published")
        error = authority_status_error(user=user, old=None, new=status)
        if error:
            raise ValueError(error)
        fields["status"] = status
    for column in ("external_id", "description"):
        if column in values and column in CSV_COLUMNS[model]:
            fields[column] = values[column]
    if model is Place:
        if "country_code" in values:
            code = values["country_code"].upper()
            if code and not (len(code) == 2 and code.isalpha()):
                raise ValueError(f"the country code {code!r} is not two letters")
            fields["country_code"] = code
        if "latitude" in values or "longitude" in values:
            fields["latitude"] = _coordinate(values.get("latitude", ""), "latitude", 90)
            fields["longitude"] = _coordinate(values.get("longitude", ""), "longitude", 180)
            if (fields["latitude"] is None) != (fields["longitude"] is None):
                raise ValueError("give both latitude and longitude, or neither")
    names = [part.strip() for part in values.get("alternate_names", "").split(LIST_SEPARATOR) if part.strip()]
    return CheckedRow(line=line, fields=fields, names=names, parent_name=values.get("parent", ""))


def _coordinate(text: str, label: str, limit: int) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"the {label} {text!r} is not a number") from None
    if not -limit <= value <= limit:
        raise ValueError(f"the {label} {value} is outside -{limit} to {limit}")
    return value


def _existing_parent(name: str) -> Place:
    matches = list(Place.objects.filter(name__iexact=name)[:2])
    if not matches:
        raise ValueError(f"the parent {name!r} is neither a stored place nor a place earlier in the file")
    if len(matches) > 1:
        raise ValueError(f"the parent {name!r} names more than one stored place")
    return matches[0]


@dataclass
class CsvImportReport:
    created: int = 0
    updated: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)


def authorities_csv_import(*, model: type[Model], text: str, user: AbstractBaseUser) -> CsvImportReport:
    """Write the rows that pass the check, in one transaction; alternate names are added, never removed.

    A record is the stored one with the same name and type (updated), or a new one.
    """
    check = authorities_csv_check(model=model, text=text, user=user)
    report = CsvImportReport(rejected=check.rejected)
    name_model = ActorName if model is Actor else PlaceName
    owner = "actor" if model is Actor else "place"
    with transaction.atomic(), collected():
        in_file: dict[str, Model] = {}
        for row in check.rows:
            fields = dict(row.fields)
            if model is Place and row.parent_name:
                fields["parent"] = in_file.get(row.parent_name.lower()) or _existing_parent(row.parent_name)
            record = model.objects.filter(name__iexact=fields["name"], type=fields["type"]).first()
            if record is None:
                record = model.objects.create(**{"status": AuthorityStatus.DRAFT, **fields})
                report.created += 1
            else:
                for key, value in fields.items():
                    setattr(record, key, value)
                record.save()
                report.updated += 1
            in_file[record.name.lower()] = record
            known = {name.lower() for name in record.all_names()}
            for name in row.names:
                if name.lower() not in known:
                    name_model.objects.create(**{owner: record, "name": name})
                    known.add(name.lower())
    return report
