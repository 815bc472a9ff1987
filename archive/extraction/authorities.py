"""Every name of every published actor and place, compiled into one Aho-Corasick automaton.

The automaton is built once per process and rebuilt when the authority
records change (a cheap fingerprint query decides), so one pass over an
article finds all the names it contains, however many records there are.
"""

import re
import threading
from dataclasses import dataclass, field

import ahocorasick
from django.db.models import Count, Max

from archive.extraction.text import fold
from archive.extraction.vocabulary import COMMON_SHORT_WORDS, MONTHS, STOPWORDS, WEEKDAYS
from archive.models import Actor, ActorName, ActorType, NameKind, Place, PlaceName, PlaceType

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

    def __init__(self, actors: dict[int, ActorInfo], places: dict[int, PlaceInfo], entries: list[NameEntry]):
        self.actors = actors
        self.places = places
        self.automaton = ahocorasick.Automaton()
        grouped: dict[str, list[NameEntry]] = {}
        for entry in entries:
            key = fold(entry.form).strip()
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
        """The entries for exactly this name (any case, any accents)."""
        if not self.size:
            return ()
        found = self.automaton.get(fold(name).strip(), None)
        return found[1] if found else ()

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
    def from_database(cls) -> "AuthorityIndex":
        actors = {
            pk: ActorInfo(name=name, type=type_, context=context_words(description))
            for pk, name, type_, description in Actor.objects.published().values_list(
                "pk", "name", "type", "description"
            )
        }
        places = {
            pk: PlaceInfo(name=name, type=type_, parent_id=parent, country_code=code, population=population or 0)
            for pk, name, type_, parent, code, population in Place.objects.published().values_list(
                "pk", "name", "type", "parent_id", "country_code", "population"
            )
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
        for entry in list(entries):
            if entry.record == "actor":
                actors[entry.pk].folded_names.add(fold(entry.form))
                if actors[entry.pk].type == ActorType.PERSON and entry.kind in (AUTHORISED, NameKind.VARIANT):
                    entries.extend(_surname_entries(entry))
        return cls(actors, places, entries)


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


def _fingerprint() -> tuple:
    return (
        *Actor.objects.aggregate(n=Count("pk"), changed=Max("updated_at")).values(),
        *Place.objects.aggregate(n=Count("pk"), changed=Max("updated_at")).values(),
        *ActorName.objects.aggregate(n=Count("pk"), last=Max("pk")).values(),
        *PlaceName.objects.aggregate(n=Count("pk"), last=Max("pk")).values(),
    )


def authority_index() -> AuthorityIndex:
    """The current index, rebuilt only when the authority records have changed."""
    global _cached
    key = _fingerprint()
    with _lock:
        if _cached is None or _cached[0] != key:
            _cached = (key, AuthorityIndex.from_database())
        return _cached[1]


def forget_authority_index() -> None:
    """Drop the cached index (an alternate name edited in place leaves the fingerprint unchanged)."""
    global _cached
    with _lock:
        _cached = None
