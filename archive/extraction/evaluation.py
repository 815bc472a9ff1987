"""Measure the suggestions against the Reuters-21578 indexers' PLACES, PEOPLE and ORGS.

The training files only populate the authority records: each person,
organisation and place their indexers named becomes a record (or is
matched to a gazetteer or seed record), with the fuller name its stories
use where one is found. The extractor then reads each test story's title,
dateline and body, and its suggestions are compared with the test story's
own categories: places at country level, people and organisations as
records. Everything happens in one transaction that is rolled back.
"""

import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from tqdm import tqdm

from archive.extraction.authorities import AuthorityIndex, forget_authority_index
from archive.extraction.gazetteer import load_gazetteer
from archive.extraction.pipeline import extract
from archive.extraction.seeds import load_actor_seeds
from archive.extraction.text import fold
from archive.extraction.vocabulary import PERSON_TITLES, STOPWORDS
from archive.importers import reuters, reuters_codes
from archive.importers.records import ArticleRecord
from archive.models import Actor, ActorName, ActorType, Article, NameKind, Place, PlaceName, PlaceType, SuggestionKind

KINDS = ("places", "people", "orgs")
HEAD = re.compile(r'<REUTERS\b[^>]*\bTOPICS="(?P<topics>[A-Z]+)"[^>]*\bNEWID="(?P<newid>\d+)"')


class EvaluationError(Exception):
    """The evaluation cannot run as asked; the message says why."""


@dataclass
class Score:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    wrong: Counter = field(default_factory=Counter)
    missed: Counter = field(default_factory=Counter)

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 0.0

    @property
    def recall(self) -> float:
        wanted = self.true_positives + self.false_negatives
        return self.true_positives / wanted if wanted else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class EvaluationReport:
    scores: dict[float, dict[str, Score]]  # by confidence threshold, then by kind
    articles: int
    seconds_per_article: float
    actors: int
    places: int


def indexed_records(paths: Iterable[Path]) -> Iterator[ArticleRecord]:
    """The stories of these files that Reuters' indexers categorised (TOPICS="BYPASS" ones were never read)."""
    for path in paths:
        with path.open(encoding="latin-1") as handle:
            bypassed = {m["newid"] for m in HEAD.finditer(handle.read()) if m["topics"] == "BYPASS"}
        for record in reuters.parse_file(path):
            if isinstance(record, ArticleRecord) and record.provider_id not in bypassed:
                yield record


def _people(record: ArticleRecord) -> list[str]:
    return [ref.name for ref in record.actors if ref.type == ActorType.PERSON]


def _orgs(record: ArticleRecord):
    return [ref for ref in record.actors if ref.type != ActorType.PERSON and ref.name.upper() != ref.name]


class _Authorities:
    """Builds the records from the training files and maps each category to a record."""

    def __init__(self):
        self.person_ids: dict[str, int] = {}
        self.org_ids: dict[str, int] = {}
        self.place_ids: dict[str, int] = {}

    def learn(self, records: list[ArticleRecord]) -> None:
        stories: dict[str, list[str]] = {}
        for record in records:
            for name in _people(record):
                stories.setdefault(name, []).append(f"{record.title}\n\n{record.body}")
            for ref in _orgs(record):
                self.org_ids.setdefault(ref.name, self._organisation(ref))
            for ref in record.places:
                self.place_ids.setdefault(ref.name, self._place(ref))
        for name, texts in stories.items():
            self.person_ids[name] = self._person(name, texts)

    def _person(self, name: str, texts: list[str]) -> int:
        """A person record under the fullest name the stories use ('Reagan' -> 'Ronald Reagan')."""
        full = _full_name(name, texts)
        actor, _ = Actor.objects.get_or_create(
            name=full, type=ActorType.PERSON, defaults={"description": _description(full, texts)}
        )
        if full != name:
            ActorName.objects.get_or_create(actor=actor, name=name, defaults={"kind": NameKind.VARIANT})
        return actor.pk

    def _organisation(self, ref) -> int:
        names = [ref.name, *(alias for alias, _ in ref.alternate_names)]
        actor = (
            Actor.objects.exclude(type__in=[ActorType.PERSON, ActorType.STATE]).filter(name=ref.name).first()
            or Actor.objects.exclude(type__in=[ActorType.PERSON, ActorType.STATE])
            .filter(alternate_names__name__in=[n for n in names if n.isupper()])
            .first()
        )
        if actor is None:
            actor = Actor.objects.create(name=ref.name, type=ref.type or ActorType.INTERNATIONAL_ORGANISATION)
        for alias, kind in ref.alternate_names:
            if alias != actor.name:
                ActorName.objects.get_or_create(actor=actor, name=alias, defaults={"kind": kind})
        return actor.pk

    def _place(self, ref) -> int:
        countries = Place.objects.filter(type=PlaceType.COUNTRY)
        place = (
            countries.filter(name=ref.name).first()
            or countries.filter(alternate_names__name=ref.name).first()
            or (countries.filter(country_code=ref.country_code).first() if ref.country_code else None)
        )
        if place is None:
            place = Place.objects.create(name=ref.name, type=PlaceType.COUNTRY, country_code=ref.country_code)
        for alias, kind in ref.alternate_names:
            if alias != place.name:
                PlaceName.objects.get_or_create(place=place, name=alias, defaults={"kind": kind})
        return place.pk


def _full_name(name: str, texts: list[str]) -> str:
    """The most frequent 'Firstname Surname' the stories write for a bare surname, if any is frequent."""
    if " " in name:
        return name
    pattern = re.compile(rf"\b([A-Z][a-z]+(?: [A-Z]\.)?) {re.escape(name)}\b")
    counts = Counter(
        f"{first} {name}"
        for text in texts
        for first in pattern.findall(text)
        if first.split()[0].lower() not in PERSON_TITLES and first.split()[0].lower() not in STOPWORDS
    )
    if counts:
        best, count = counts.most_common(1)[0]
        if count >= 2:
            return best
    return name


def _description(name: str, texts: list[str]) -> str:
    """The title the stories most often give the person ('Treasury Secretary' James Baker), as a record would."""
    space = r"(?:[ \t]+\n?|\n)[ \t]*"  # a line break inside the title, never the blank line after the headline
    pattern = re.compile(rf"((?:(?:[A-Z][\w.'&-]*|of|the){space}){{1,5}}){re.escape(name)}\b")
    counts = Counter()
    for text in texts:
        for words in pattern.findall(text):
            words = words.split()
            while words and words[0].lower() in STOPWORDS:
                words = words[1:]
            if words:
                counts[" ".join(words)] += 1
    return counts.most_common(1)[0][0] if counts else ""


def _vocabulary(directory: Path, kind: str) -> dict[str, str]:
    """The corpus' closed list of names for a category (all-people-strings.lc.txt), by folded name.

    A person listed by surname alone ('volcker') is also found under that
    surname, so that the candidate 'Paul Volcker' counts as that person.
    """
    path = directory / f"all-{kind}-strings.lc.txt"
    if not path.exists():
        return {}
    codes = [line.strip() for line in path.read_text(encoding="latin-1").splitlines() if line.strip()]
    if kind == "orgs":
        names = [reuters_codes.organisation(code)[0] for code in codes]
    else:
        names = [reuters_codes.person(code) for code in codes]
    return {_vocabulary_key(name): name for name in names}


def _vocabulary_key(name: str) -> str:
    """The list's codes join words with hyphens ('mohammed-ali-abal-khail'), so a hyphen there is a space."""
    return " ".join(fold(name).replace("-", " ").split())


def _in_vocabulary(candidate: str, vocabulary: dict[str, str]) -> str | None:
    """The list's name for the candidate, found by its full name or by its surname.

    The list gives most people by surname ('volcker'), some by a compound
    surname ('de-kock'), so the candidate's last words are tried from the
    longest to the last one alone.
    """
    words = _vocabulary_key(candidate).split()
    return next((vocabulary[key] for i in range(len(words)) if (key := " ".join(words[i:])) in vocabulary), None)


def evaluate(
    *,
    train: list[Path],
    test: list[Path],
    thresholds: list[float],
    min_population: int = 15_000,
    progress: bool = True,
) -> EvaluationReport:
    """Run the whole evaluation in a transaction that is rolled back, so nothing is left behind."""
    for path in [*train, *test]:
        if not path.is_file():
            raise EvaluationError(f"{path}: no such file")
    if Article.objects.exists() or Actor.objects.exists() or Place.objects.exists():
        raise EvaluationError(
            "evaluate_extraction needs an empty database, so that no existing record helps or hinders the "
            "extractor: point DATABASE_URL at a fresh one (see the README)."
        )
    forget_authority_index()
    try:
        with transaction.atomic():
            report = _evaluate(train, test, thresholds, min_population, progress)
            transaction.set_rollback(True)
    finally:
        forget_authority_index()
    return report


def _evaluate(train, test, thresholds, min_population, progress) -> EvaluationReport:
    load_gazetteer(min_population=min_population, progress=progress)
    load_actor_seeds()
    authorities = _Authorities()
    authorities.learn(list(tqdm(indexed_records(train), desc="training", unit="story", disable=not progress)))
    index = AuthorityIndex.from_database()
    vocabulary = {kind: _vocabulary(test[0].parent, kind) for kind in ("people", "orgs")}
    scores = {threshold: {kind: Score() for kind in KINDS} for threshold in thresholds}
    names = _Names(index)
    listed_people = set(authorities.person_ids.values())
    listed_orgs = set(authorities.org_ids.values()) | {
        pk for pk, actor in index.actors.items() if actor.type in ORG_TYPES and fold(actor.name) in vocabulary["orgs"]
    }
    elapsed, articles = 0.0, 0
    for record in tqdm(indexed_records(test), desc="testing", unit="story", disable=not progress):
        started = time.perf_counter()
        proposals = extract(
            title=record.title,
            body=record.body,
            dateline=record.dateline,
            published=record.published.start if record.published else None,
            index=index,
        )
        elapsed += time.perf_counter() - started
        articles += 1
        gold = {
            "places": {names.gold_place(ref, authorities) for ref in record.places},
            "people": {names.gold_actor(name, authorities.person_ids) for name in _people(record)},
            "orgs": {names.gold_actor(ref.name, authorities.org_ids) for ref in _orgs(record)},
        }
        for threshold in thresholds:
            chosen = [p for p in proposals if p.confidence >= threshold]
            # The indexers chose from closed lists: a record outside them can be neither right nor wrong.
            predicted = {
                "places": {names.country(p.place_id) for p in chosen if p.kind == SuggestionKind.PLACE} - {None},
                "people": {names.actor(p.actor_id) for p in chosen if p.actor_id in listed_people},
                "orgs": {names.actor(p.actor_id) for p in chosen if p.actor_id in listed_orgs},
            }
            for p in chosen:
                kind = {SuggestionKind.NEW_PERSON: "people", SuggestionKind.NEW_ORGANISATION: "orgs"}.get(p.kind)
                listed = _in_vocabulary(p.candidate_name, vocabulary[kind]) if kind else None
                if listed:
                    predicted[kind].add(names.gold_actor(listed, authorities.person_ids | authorities.org_ids))
            for kind in KINDS:
                _count(scores[threshold][kind], predicted[kind], gold[kind])
    return EvaluationReport(
        scores=scores,
        articles=articles,
        seconds_per_article=elapsed / articles if articles else 0.0,
        actors=len(index.actors),
        places=len(index.places),
    )


ORG_TYPES = {ActorType.ORGANISATION, ActorType.INTERNATIONAL_ORGANISATION, ActorType.ARMED_GROUP}


class _Names:
    """Readable keys, so that the error listing names records rather than numbers."""

    def __init__(self, index: AuthorityIndex):
        self.index = index

    def country(self, place_id: int) -> str | None:
        country = self.index.country_of(place_id)
        return self.index.places[country].name if country else None

    def actor(self, actor_id: int) -> str:
        return self.index.actors[actor_id].name

    def gold_place(self, ref, authorities: _Authorities) -> str:
        pk = authorities.place_ids.get(ref.name)
        return self.index.places[pk].name if pk in self.index.places else ref.name

    def gold_actor(self, name: str, known: dict[str, int]) -> str:
        pk = known.get(name)
        return self.index.actors[pk].name if pk in self.index.actors else name


def _count(score: Score, predicted: set[str], gold: set[str]) -> None:
    score.true_positives += len(predicted & gold)
    score.false_positives += len(predicted - gold)
    score.false_negatives += len(gold - predicted)
    score.wrong.update(predicted - gold)
    score.missed.update(gold - predicted)
