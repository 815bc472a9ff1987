"""Actor authority seeds: every country as a state actor, and our curated organisations and armed groups."""

import csv
from dataclasses import dataclass

from django.db import transaction

from archive.extraction.gazetteer import DATA_DIR, country_records, name_kind
from archive.models import Actor, ActorName, ActorType, NameKind


@dataclass
class SeedReport:
    created: int = 0
    names_added: int = 0


def curated_actors() -> list[tuple[str, str, list[str]]]:
    """(type, authorised name, alternate names) from ``data/actors.tsv``."""
    rows = []
    with (DATA_DIR / "actors.tsv").open(encoding="utf-8") as handle:
        for row in csv.reader((line for line in handle if not line.startswith("#")), delimiter="\t"):
            if row:
                type_, name, alternates = ([*row, ""])[:3]
                rows.append((type_, name, [a.strip() for a in alternates.split(";") if a.strip()]))
    return rows


@transaction.atomic
def load_actor_seeds(*, countries: set[str] | None = None) -> SeedReport:
    """Create the seed actors and any of their names that are missing; running it again changes nothing."""
    report = SeedReport()
    wanted: list[tuple[str, str, dict[str, str], str]] = []
    for record in country_records(countries):
        names = dict(record.names)
        names.update({demonym: NameKind.DEMONYM for demonym in record.demonyms})
        wanted.append((ActorType.STATE, record.name, names, record.external_id))
    for type_, name, alternates in curated_actors():
        wanted.append((type_, name, {alt: name_kind(alt) for alt in alternates}, ""))
    for type_, name, names, external_id in wanted:
        actor, created = Actor.objects.get_or_create(
            name=name, type=type_, defaults={"external_id": external_id, "description": ""}
        )
        report.created += created
        have = set(actor.alternate_names.values_list("name", flat=True))
        new = [ActorName(actor=actor, name=alt, kind=kind) for alt, kind in names.items() if alt not in have]
        ActorName.objects.bulk_create(new, ignore_conflicts=True)
        report.names_added += len(new)
    return report
