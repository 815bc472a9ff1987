"""Every name of every actor and place, compiled into one Aho-Corasick automaton.

Draft records are read too: an archivist who has a draft of Sabratha
expects the article to propose that record, not a new place of the same
name. The automaton is built once per process and rebuilt when the
authority records change (a cheap fingerprint query decides), so one pass
over an article finds all the names it contains, however many records
there are. The same fingerprint is the authority records' version, which
tells whether an article's stored suggestions are stale.
"""

import hashlib
import re
import threading
from dataclasses import dataclass, field

import ahocorasick
from django.db.models import Count, Max

from archive.extraction.gazetteer import country_demonyms
from archive.extraction.text import fold
from archive.extraction.vocabulary import COMMON_SHORT_WORDS, MONTHS, STOPWORDS, WEEKDAYS
from archive.models import Actor, ActorName, ActorType, AuthorityChange, NameKind, Place, PlaceName, PlaceType

SURNAME = "surname"
AUTHORISED = "authorised"


@dataclass(frozen=True, slots=True)
class NameEntry:
    """One way of naming one record: the form as written, and what kind of name it is."""

    record: str  # "actor" or "place"
    pk: int
    form: str
    kind: str


@dataclass(slots=True)
class PlaceInfo:
    name: str
    type: str
    parent_id: int | None
    country_code: str
    population: int

    def rank(self) -> tuple[int, int]:
        """Countries before regions before cities; then the more populous."""
        order = {PlaceType.COUNTRY: 3, PlaceType.REGION: 2, PlaceType.CITY: 1}
        return order.get(self.type, 0), self.population


@dataclass(slots=True)
class ActorInfo:
    name: str
    type: str
    folded_names: set[str] = field(default_factory=set)
    context: frozenset[str] = frozenset()  # words of its description: 'treasury', 'secretary'


class AuthorityIndex:
    """The names of the authority records and the facts the extractor needs about each record."""

    def __init__(
        self,
        actors: dict[int, ActorInfo],
        places: dict[int, PlaceInfo],
        entries: list[NameEntry],
        *,
        version: str = "",
    ):
        self.actors = actors
        self.places = places
        # The authority records' version this index was read from ('' when unknown: suggestions made with it
        # are stale at once, and made again).
        self.version = version
        self.demonyms = country_demonyms().words
        self.automaton = ahocorasick.Automaton()
        grouped: dict[str, list[NameEntry]] = {}
        for entry in entries:
            key = _key(entry.form)
            if len(key) >= 2:
                grouped.setdefault(key, []).append(entry)
        for key, group in grouped.items():
            if key in STOPWORDS or key in COMMON_SHORT_WORDS or key in MONTHS or key in WEEKDAYS:
                # 'But' (Buta), 'Of' (a Turkish town), 'March' (an English town): capitals prove nothing there;
                # only an all-capitals form ('US') is distinctive.
                group = [entry for entry in group if not any(c.islower() for c in entry.form)]
                if not group:
                    continue
            self.automaton.add_word(key, (len(key), tuple(dict.fromkeys(group))))
        if grouped:
            self.automaton.make_automaton()
        self.size = len(grouped)

    def lookup(self, name: str) -> tuple[NameEntry, ...]:
        """The entries for exactly this name (any case, any accents, any spacing)."""
        if not self.size:
            return ()
        found = self.automaton.get(_key(name), None)
        return found[1] if found else ()

    def is_demonym(self, name: str) -> bool:
        """Whether the name is a country's demonym ('Italian'), whether or not the records hold that country."""
        return _key(name) in self.demonyms

    def ancestors(self, place_id: int) -> list[int]:
        chain, seen = [], {place_id}
        parent = self.places[place_id].parent_id if place_id in self.places else None
        while parent is not None and parent not in seen and parent in self.places:
            chain.append(parent)
            seen.add(parent)
            parent = self.places[parent].parent_id
        return chain

    def country_of(self, place_id: int) -> int | None:
        for pk in [place_id, *self.ancestors(place_id)]:
            if self.places[pk].type == PlaceType.COUNTRY:
                return pk
        return None

    @classmethod
    def from_database(cls, *, version: str = "") -> "AuthorityIndex":
        actor_rows = list(Actor.objects.values_list("pk", "name", "type", "description", "external_id"))
        actors = {
            pk: ActorInfo(name=name, type=type_, context=context_words(description))
            for pk, name, type_, description, _ in actor_rows
        }
        place_rows = list(
            Place.objects.values_list("pk", "name", "type", "parent_id", "country_code", "population", "external_id")
        )
        places = {
            pk: PlaceInfo(name=name, type=type_, parent_id=parent, country_code=code, population=population or 0)
            for pk, name, type_, parent, code, population, _ in place_rows
        }
        entries = [
            NameEntry("actor", pk, info.name, SURNAME if _bare_surname(info) else AUTHORISED)
            for pk, info in actors.items()
        ]
        entries += [NameEntry("place", pk, info.name, AUTHORISED) for pk, info in places.items()]
        for actor_id, name, kind in ActorName.objects.values_list("actor_id", "name", "kind"):
            if actor_id in actors:
                one_word_person = actors[actor_id].type == ActorType.PERSON and len(name.split()) == 1
                entries.append(NameEntry("actor", actor_id, name, SURNAME if one_word_person else kind))
        for place_id, name, kind in PlaceName.objects.values_list("place_id", "name", "kind"):
            if place_id in places:
                entries.append(NameEntry("place", place_id, name, kind))
        entries += _country_demonym_entries(actor_rows, place_rows, entries)
        for entry in list(entries):
            if entry.record == "actor":
                actors[entry.pk].folded_names.add(fold(entry.form))
                if actors[entry.pk].type == ActorType.PERSON and entry.kind in (AUTHORISED, NameKind.VARIANT):
                    entries.extend(_surname_entries(entry))
        return cls(actors, places, entries, version=version)


def _country_demonym_entries(actor_rows, place_rows, entries: list[NameEntry]) -> list[NameEntry]:
    """The demonyms of each country place and state actor, from the shipped table, where its record lacks them.

    A country is known by its code (a place's ISO code, a seeded state's
    ``iso3166:`` identifier) or else by any of its names.
    """
    table = country_demonyms()
    names: dict[tuple[str, int], list[str]] = {}
    for entry in entries:
        names.setdefault((entry.record, entry.pk), []).append(entry.form)
    found = []
    records = [
        ("place", pk, (code, external_id))
        for pk, _, type_, _, code, _, external_id in place_rows
        if type_ == PlaceType.COUNTRY
    ]
    records += [
        ("actor", pk, (external_id.removeprefix("iso3166:"), external_id))
        for pk, _, type_, _, external_id in actor_rows
        if type_ == ActorType.STATE
    ]
    for record, pk, codes in records:
        forms = next((table.by_code[code] for code in codes if code in table.by_code), None)
        known = names.get((record, pk), [])
        if forms is None:
            forms = next((table.by_name[fold(form)] for form in known if fold(form) in table.by_name), ())
        have = {fold(form) for form in known}
        found += [NameEntry(record, pk, form, NameKind.DEMONYM) for form in forms if fold(form) not in have]
    return found


def context_words(text: str) -> frozenset[str]:
    """The distinctive words of a text, folded: what a description and a story can have in common."""
    return frozenset(WORD_RE.findall(fold(text))) - STOPWORDS


def _bare_surname(actor: ActorInfo) -> bool:
    """A person recorded by one name only ('Volcker') is matched with the care a surname needs."""
    return actor.type == ActorType.PERSON and len(actor.name.split()) == 1


def _surname_entries(entry: NameEntry) -> list[NameEntry]:
    """A person is mostly named by surname after the first mention: 'Paul Volcker' then 'Volcker'."""
    words = entry.form.replace(",", " ").split()
    if len(words) < 2:
        return []
    surname = words[-1]
    if surname.lower().rstrip(".") in {"jr", "sr", "ii", "iii"} and len(words) > 2:
        surname = words[-2]
    if len(surname) < 3 or not surname[0].isupper() or surname.lower() in STOPWORDS or surname.endswith("."):
        return []
    return [NameEntry("actor", entry.pk, surname, SURNAME)]


WORD_RE = re.compile(r"[^\W\d_]{3,}")
_lock = threading.Lock()
_cached: tuple[tuple, AuthorityIndex] | None = None


def _key(name: str) -> str:
    return " ".join(fold(name).split())


def _fingerprint() -> tuple:
    """Counts and latest changes of the records and names, and the number of ``AuthorityChange`` rows.

    Bulk writers that send no signals change the counts; edits in place that
    change no count (a name corrected, a record published) add a change row.
    """
    return (
        *Actor.objects.aggregate(n=Count("pk"), changed=Max("updated_at")).values(),
        *Place.objects.aggregate(n=Count("pk"), changed=Max("updated_at")).values(),
        *ActorName.objects.aggregate(n=Count("pk"), last=Max("pk")).values(),
        *PlaceName.objects.aggregate(n=Count("pk"), last=Max("pk")).values(),
        AuthorityChange.objects.count(),
    )


def _version(fingerprint: tuple) -> str:
    return hashlib.sha256(repr(fingerprint).encode()).hexdigest()


def authority_version() -> str:
    """The authority records' current version: it changes whenever a record or a name is written."""
    return _version(_fingerprint())


def authority_index() -> AuthorityIndex:
    """The current index, rebuilt only when the authority records have changed.

    The fingerprint is read before the records, so an index is never
    labelled with a version newer than what it holds.
    """
    global _cached
    key = _fingerprint()
    with _lock:
        if _cached is None or _cached[0] != key:
            _cached = (key, AuthorityIndex.from_database(version=_version(key)))
        return _cached[1]


def forget_authority_index() -> None:
    """Drop the cached index, to free it after work that is rolled back (the evaluation's records)."""
    global _cached
    with _lock:
        _cached = None
