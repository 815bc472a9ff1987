"""From an article's text to proposals: known actors and places, dates, and candidate new records.

Pure reading: nothing here writes to the database; ``archive.services.suggestions``
stores the proposals as ``Suggestion`` rows.
"""

import datetime as dt
import re
from dataclasses import dataclass, field

from archive.extraction.authorities import SURNAME, AuthorityIndex, NameEntry, authority_index, context_words
from archive.extraction.candidates import Candidate, find_candidates
from archive.extraction.dates import find_dates
from archive.extraction.matcher import Mention, find_mentions, is_acronym
from archive.extraction.text import is_shouting, is_title_case, next_word, previous_word, sentence_starts
from archive.extraction.vocabulary import LOCATIVE, MONTHS, ORGANISATION_HEADS, PERSON_TITLES, STOPWORDS
from archive.models import ActorType, DatePrecision, NameKind, PlaceType, SuggestionKind

MAX_EVIDENCE = 10
SMALL_CITY = 100_000
LARGE_CITY = 1_000_000
SALIENT_KINDS = {SuggestionKind.ACTOR, SuggestionKind.PLACE, SuggestionKind.NEW_PERSON}
SENTENCE_END_RE = re.compile(r"[.!?][\"')\]]*\s+(?=[\"'(\u201c]?[A-Z])|\n\s*\n|\n\s{2,}\S")
INITIALS_RE = re.compile(r"(?:[^\W\d_]\.)+")
# The capitalised words (and 'and', '&') that may stand between a name and 'Corp' in a company's name.
COMPANY_TAIL_RE = re.compile(r"(?:[ \t]*\n?[ \t]*(?:[A-Z][\w&.-]*(?!['\w])|and|&)){1,4}")
COMPANY_SUFFIXES = {"corp", "inc", "co", "ltd", "plc"}
# 'Baker <BKO>': a company followed by its stock symbol.
TICKER_RE = re.compile(r"[ \t]*<[A-Z][\w.]*>")
# The capitalised words (a title, a name, and the 'of' in 'Chancellor of the Exchequer') a story may open with.
OPENING_RE = re.compile(r"\s*(?:(?:[A-Z][\w.'\u2019&-]*|of|the|and|for)\s+)*")
# 'the Reagan administration', 'the Baker plan', 'a Reagan aide': words that speak of something else.
ATTRIBUTIVE_RE = re.compile(
    r"(?:(?:'s)?\s+(?:administration|government|cabinet|era|years|doctrine|presidency|plan|initiative)"
    r"|\s+(?:aides?|spokes(?:man|woman)))\b",
    re.I,
)


@dataclass(slots=True)
class Proposal:
    """One suggested access point with its confidence and every piece of evidence for it."""

    kind: str
    confidence: float
    evidence: list[dict] = field(default_factory=list)
    actor_id: int | None = None
    place_id: int | None = None
    candidate_name: str = ""
    date_start: dt.date | None = None
    date_end: dt.date | None = None
    date_precision: str = ""
    mentions: int = 1

    @property
    def key(self) -> tuple:
        return proposal_key(
            self.kind, self.actor_id, self.place_id, self.candidate_name, self.date_start, self.date_end
        )

    def absorb(self, other: "Proposal") -> None:
        """Keep the surest reading and count the mentions; ``settle`` turns both into the confidence."""
        self.confidence = max(self.confidence, other.confidence)
        self.mentions += other.mentions
        for item in other.evidence:
            if item not in self.evidence and len(self.evidence) < MAX_EVIDENCE:
                self.evidence.append(item)


def proposal_key(kind, actor_id, place_id, candidate_name, date_start, date_end) -> tuple:
    """What makes two suggestions for one article the same suggestion (used to remember rejections)."""
    return (kind, actor_id, place_id, " ".join(candidate_name.lower().split()), date_start, date_end)


@dataclass(slots=True)
class _Field:
    name: str
    text: str
    case_blind: bool
    starts: set[int]


def extract(
    *, title: str, body: str, dateline: str = "", published: dt.date | None = None, index: AuthorityIndex | None = None
) -> list[Proposal]:
    """Every access point the text suggests, most confident first."""
    index = index or authority_index()
    fields = [
        _Field(name, text, is_shouting(text) or (name == "title" and is_title_case(text)), sentence_starts(text))
        for name, text in (("title", title), ("dateline", dateline), ("body", body))
        if text
    ]
    mentions = {f.name: find_mentions(index, f.name, f.text) for f in fields}
    resolver = _Resolver(index, fields, mentions)
    proposals = resolver.resolve()
    candidates = []
    for f in fields:
        known = [(m.start, m.end) for m in mentions[f.name] if id(m) in resolver.kept]
        # A name the records know, in any case, is never a new record; nor is a demonym ('Italian base').
        found = find_candidates(f.name, f.text, known)
        candidates += [c for c in found if not index.lookup(c.name) and not index.is_demonym(c.name)]
    companies = _named_as_company(candidates)
    candidates = [c for c in candidates if c not in companies]
    for candidate in candidates:
        proposals.append(
            Proposal(candidate.kind, candidate.confidence, [candidate.evidence()], candidate_name=candidate.name)
        )
    proposals.extend(_candidate_surname_mentions(fields, candidates))
    proposals.extend(_date_proposals(fields, published))
    merged: dict[tuple, Proposal] = {}
    for proposal in proposals:
        if proposal.key in merged:
            merged[proposal.key].absorb(proposal)
        else:
            merged[proposal.key] = proposal
    lead_end = _lead_end(body)
    opening_end = 0 if is_shouting(body) else OPENING_RE.match(body).end()
    for proposal in merged.values():
        if proposal.kind in SALIENT_KINDS:
            person = proposal.kind == SuggestionKind.NEW_PERSON or resolver.is_person(proposal.actor_id)
            _settle(
                proposal,
                lead_end,
                opening_end if person else 0,
                surname_only=resolver.named_by_surname_only(proposal.actor_id),
            )
    return sorted(merged.values(), key=lambda p: (-p.confidence, p.kind, repr(p.key[1:4])))


def _candidate_surname_mentions(fields: list[_Field], candidates: list[Candidate]) -> list[Proposal]:
    """'Mario Brodersohn ... Brodersohn said': later mentions of a new person by surname count as mentions."""
    people = [c for c in candidates if c.kind == SuggestionKind.NEW_PERSON]
    named = {(c.field, c.start, c.end) for c in people}
    proposals = []
    for name in dict.fromkeys(c.name for c in people):
        words = name.split()
        if len(words) < 2 or len(words[-1]) < 3:
            continue
        for f in (f for f in fields if not f.case_blind):
            for found_start, found_end in _standalone(f.text, words[-1]):
                if any(field == f.name and start <= found_start < end for field, start, end in named):
                    continue
                evidence = {"field": f.name, "start": found_start, "end": found_end, "text": words[-1]}
                proposals.append(Proposal(SuggestionKind.NEW_PERSON, 0.0, [evidence], candidate_name=name))
    return proposals


def _standalone(text: str, word: str):
    """Where ``word`` stands on its own, touched by no letter, digit, underscore or hyphen.

    A search per name: compiling a pattern for each new person's surname cost more than reading the story.
    """
    start = text.find(word)
    while start != -1:
        end = start + len(word)
        if _joins_word(text, start - 1) or _joins_word(text, end):
            start = text.find(word, start + 1)
        else:
            yield start, end
            start = text.find(word, end)


def _joins_word(text: str, index: int) -> bool:
    return 0 <= index < len(text) and (text[index].isalnum() or text[index] in "_-")


def _lead_end(body: str) -> int:
    """Where the body's first sentence ends: 'U.S.' or 'Mr.' inside it end nothing."""
    opening = len(body) - len(body.lstrip())
    for match in SENTENCE_END_RE.finditer(body, opening):
        word = previous_word(body, match.start() + 1)[0].lower()
        if match.group()[0] == "." and (INITIALS_RE.fullmatch(word) or word in PERSON_TITLES or word[:-1] in MONTHS):
            continue
        return match.start()
    return len(body)


def _settle(proposal: Proposal, lead_end: int, opening_end: int = 0, *, surname_only: bool = False) -> None:
    """How sure the words name the record, times how central the record is to the story.

    An access point describes what a story is about: a place in the dateline
    or the title, or named in the lead (the first sentence) or again and
    again, matters more than one named in passing at the end ("against the
    U.S. dollar"). ``opening_end`` is where the capitalised words that open a
    story end, for a person (0 for anything else).
    """
    fields = {item["field"] for item in proposal.evidence}
    body_starts = [item["start"] for item in proposal.evidence if item["field"] == "body"]
    lead = any(start < lead_end for start in body_starts)
    opens = any(start < opening_end for start in body_starts)
    if fields & {"title", "dateline"} or opens or (lead and proposal.kind == SuggestionKind.NEW_PERSON):
        # A person the records do not know yet, introduced in the lead, is who the story is about, and so is
        # anyone the story opens with ('President Reagan announced ...'); a known leader named once later in
        # the lead is more often quoted in passing.
        salience = 1.0
    else:
        # Measured on Reuters stories (people, outside the title): one mention after the lead is right one time in
        # ten, two one in five, three or more nearly one in two; each is likelier in the first sentence.
        # A person the story never names in full is one it takes the reader to know, most often a leader quoted in
        # passing ('Reagan'): there three mentions weigh as two do for a person named in full (right one time in six).
        counted = proposal.mentions - 1 if surname_only else proposal.mentions
        salience = {1: 0.55, 2: 0.6}.get(max(1, counted), 0.85) + (0.15 if lead else 0.0)
    repeated = min(0.1, 0.03 * (proposal.mentions - 1))
    proposal.confidence = round(min(0.99, (proposal.confidence + repeated) * salience), 4)


class _Resolver:
    """Chooses what each known-name mention refers to, using the rest of the text as context."""

    def __init__(self, index: AuthorityIndex, fields: list[_Field], mentions: dict[str, list[Mention]]):
        self.index = index
        self.fields = {f.name: f for f in fields}
        self.mentions = mentions
        self.kept: set[int] = set()
        all_mentions = [m for group in mentions.values() for m in group]
        self.full_names = {
            e.pk
            for m in all_mentions
            for e in m.entries
            if e.record == "actor" and e.kind != SURNAME and index.actors[e.pk].type == ActorType.PERSON
        }
        self.named_in_body: set[int] = set()
        self.story_words: frozenset[str] | None = None
        self.unambiguous_actors = set()
        for m in all_mentions:
            actors = {e.pk for e in m.entries if e.record == "actor"}
            if len(actors) == 1:
                self.unambiguous_actors |= actors
        certain = {m.entries[0].pk for m in all_mentions if _only_place(m)}
        self.context = set(certain)
        for pk in certain:
            self.context.update(index.ancestors(pk))

    def resolve(self) -> list[Proposal]:
        # The body first: a headline's bare surname is read in the light of whom the body names.
        found = {"body": self._resolve_field("body")} if "body" in self.mentions else {}
        self.named_in_body = {p.actor_id for p in found.get("body", ()) if p.actor_id is not None}
        for name in self.mentions.keys() - found.keys():
            found[name] = self._resolve_field(name)
        return [proposal for name in self.mentions for proposal in found[name]]

    def is_person(self, actor_id: int | None) -> bool:
        return actor_id is not None and self.index.actors[actor_id].type == ActorType.PERSON

    def named_by_surname_only(self, actor_id: int | None) -> bool:
        """Whether the text names this person only by surname ('Reagan'), never in full ('Ronald Reagan')."""
        if actor_id is None or actor_id in self.full_names:
            return False
        return self.index.actors[actor_id].type == ActorType.PERSON

    def _resolve_field(self, name: str) -> list[Proposal]:
        proposals = []
        for mention in self.mentions[name]:
            found = self._resolve_mention(self.fields[name], mention)
            if found:
                self.kept.add(id(mention))
                proposals.extend(found)
        return proposals

    def _resolve_mention(self, f: _Field, mention: Mention) -> list[Proposal]:
        entries = list(mention.entries)
        if f.case_blind:
            entries = [e for e in entries if self._readable_without_case(e)]
        elif _followed_by_capital(f.text, mention.end):
            # 'Delta Air Lines', 'British Columbia': a town's name or a demonym opening a longer name is neither.
            entries = [e for e in entries if not self._opens_longer_name(f, mention, e)]
        person_context, other_first_name = self._person_context(f, mention)
        people = [e for e in entries if e.record == "actor" and self.index.actors[e.pk].type == ActorType.PERSON]
        if people and (ATTRIBUTIVE_RE.match(f.text, mention.end) or _names_company(f, mention)):
            # 'the Reagan administration' speaks of a government, 'a Reagan aide' of an aide, 'Wilson Foods Corp' of a
            # company, not of the person.
            entries = [e for e in entries if e not in people]
            people = []
        surnames = [e for e in people if e.kind == SURNAME]
        if other_first_name:
            entries = [e for e in entries if e not in surnames and not _single_word_place_or_state(self.index, e)]
        elif person_context and people:
            entries = people
        elif person_context:
            entries = [e for e in entries if not _single_word_place_or_state(self.index, e)]
        if surnames and any(e not in surnames for e in entries):
            if any(e.pk in self.full_names for e in surnames):
                # 'Lawson' after 'Nigel Lawson' is the Chancellor, not a town called Lawson.
                entries = [e for e in surnames if e.pk in self.full_names]
            else:
                entries = [e for e in entries if e not in surnames]
        if len({e.pk for e in entries if e in surnames}) > 1:
            named = [e for e in entries if e in surnames and e.pk in self.full_names]
            entries = [e for e in entries if e not in surnames] + (
                named or self._described([e for e in entries if e in surnames])
            )
        proposals = []
        places = [e for e in entries if e.record == "place"]
        place = self._choose_place(places) if places else None
        if place is not None:
            proposals.extend(self._place_proposals(f, mention, place))
        organisations = {e.pk for e in entries if e.record == "actor" and self._organisation(e.pk)}
        shared = len(organisations) > 1
        if shared and organisations & self.unambiguous_actors:
            # 'ADB' names two banks: the one the story also names in full is meant.
            entries = [e for e in entries if e.pk not in organisations - self.unambiguous_actors]
            shared = False
        for entry in entries:
            if entry.record != "actor":
                continue
            actor = self.index.actors[entry.pk]
            if actor.type == ActorType.STATE and place is not None and self.index.places[place.pk].type != "country":
                continue
            confidence = self._actor_confidence(f, mention, entry)
            if shared and entry.pk in organisations:
                confidence *= 0.5
            proposals.append(Proposal(SuggestionKind.ACTOR, confidence, [mention.evidence()], entry.pk))
        return proposals

    def _described(self, entries: list[NameEntry]) -> list[NameEntry]:
        """Of people sharing a surname, the one whose description the story echoes ('TREASURY'S BAKER')."""
        if self.story_words is None:
            self.story_words = context_words(" ".join(f.text for f in self.fields.values()))
        overlap = {e.pk: len(self.index.actors[e.pk].context & self.story_words) for e in entries}
        best = max(overlap.values())
        chosen = [e for e in entries if overlap[e.pk] == best]
        return chosen if best and len({e.pk for e in chosen}) == 1 else []

    def _organisation(self, actor_id: int) -> bool:
        return self.index.actors[actor_id].type not in (ActorType.PERSON, ActorType.STATE)

    def _opens_longer_name(self, f: _Field, mention: Mention, entry: NameEntry) -> bool:
        if entry.kind == NameKind.DEMONYM:
            following, _, _ = next_word(f.text, mention.end)
            return following.lower() not in PERSON_TITLES and following.lower() not in STOPWORDS
        return entry.record == "place" and self.index.places[entry.pk].type == PlaceType.CITY

    def _readable_without_case(self, entry: NameEntry) -> bool:
        """In an all-capitals headline 'TO' or 'BANK' could be any word: only distinctive names count there."""
        if is_acronym(entry.form):
            return True
        if len(entry.form.strip()) <= 3:
            return False
        return (
            entry.record != "place"
            or self.index.places[entry.pk].type != PlaceType.CITY
            or self.index.places[entry.pk].population >= LARGE_CITY
        )

    def _person_context(self, f: _Field, mention: Mention) -> tuple[bool, bool]:
        """Whether a title or a first name stands just before these words ('Mr Jordan', 'Michael Jordan')."""
        if f.case_blind or len(mention.text.split()) > 1:
            return False, False
        word, offset, gap = previous_word(f.text, mention.start)
        gap = gap.replace("\n", " ")  # 'Finance Minister Roger\nDouglas': wire copy wraps lines inside a name
        if not word or gap not in (" ", ". ") or (gap == ". " and word.lower() not in PERSON_TITLES):
            return False, False
        lowered = word.lower()
        if lowered in PERSON_TITLES or lowered.rstrip(".") in PERSON_TITLES:
            return True, False
        first_name = word[0].isupper() and lowered not in STOPWORDS and gap == " " and not word.isupper()
        if first_name and not any(m.end == offset + len(word) for m in self.mentions[f.name]):
            return True, True
        return False, False

    def _choose_place(self, entries: list[NameEntry]) -> NameEntry:
        """The likeliest of the places sharing a name: one the text's other places point to, else the biggest."""

        def score(entry: NameEntry) -> tuple:
            info = self.index.places[entry.pk]
            return (entry.pk in self.context, info.parent_id in self.context, info.rank())

        return max(entries, key=score)

    def _place_proposals(self, f: _Field, mention: Mention, entry: NameEntry) -> list[Proposal]:
        info = self.index.places[entry.pk]
        confidence = _name_confidence(entry)
        if f.name == "dateline":
            confidence = 0.95
        elif info.type == PlaceType.CITY and info.population < SMALL_CITY and not self._locative(f, mention):
            confidence = min(confidence, 0.25)
        if len({e.pk for e in mention.entries if e.record == "place"}) > 1:
            confidence *= 0.9
        evidence = [mention.evidence()]
        proposals = [Proposal(SuggestionKind.PLACE, confidence, evidence, place_id=entry.pk)]
        for ancestor in self.index.ancestors(entry.pk):
            rolled = [{**mention.evidence(), "via": info.name}]
            proposals.append(Proposal(SuggestionKind.PLACE, confidence * 0.95, rolled, place_id=ancestor))
        return proposals

    def _locative(self, f: _Field, mention: Mention) -> bool:
        word, _, gap = previous_word(f.text, mention.start)
        return word.lower() in LOCATIVE or gap.strip() == ","

    def _actor_confidence(self, f: _Field, mention: Mention, entry: NameEntry) -> float:
        actor = self.index.actors[entry.pk]
        confidence = _name_confidence(entry)
        if entry.kind == SURNAME:
            confidence = 0.8 if entry.pk in self.full_names else 0.65
            at_start = f.name == "body" and mention.start in f.starts and not f.case_blind
            if at_start and entry.pk not in self.full_names and not self._person_context(f, mention)[0]:
                # 'Young said' is a person; 'Young people said' is not: a capital at a sentence start proves less.
                # A headline opens with its subject ('Sumita says ...'), so there the capital stands.
                confidence = 0.45
            if f.case_blind and "body" in self.fields and entry.pk not in self.named_in_body:
                # 'MCDONNELL DOUGLAS' in a headline: a surname the story never repeats is most likely another name.
                confidence = 0.45
        elif actor.type == ActorType.STATE:
            confidence = 0.7 if entry.kind == NameKind.DEMONYM else 0.75
            if self._locative(f, mention):
                confidence = 0.45
        return confidence


def _followed_by_capital(text: str, end: int) -> bool:
    return end + 1 < len(text) and text[end] == " " and text[end + 1].isupper()


def _names_company(f: _Field, mention: Mention) -> bool:
    """Whether these words are a company's name: before its stock symbol, or inside its full name.

    In a headline in capitals every word looks like a name's, so there only the stock symbol or the next word
    ('BAKER INTERNATIONAL', 'THATCHER PARTY') tells.
    """
    if TICKER_RE.match(f.text, mention.end):
        return True
    if f.case_blind:
        following, _, gap = next_word(f.text, mention.end)
        following = following.lower()
        return not gap.strip() and (following in ORGANISATION_HEADS or following in ("international", "int'l"))
    return _inside_company_name(f.text, mention.start, mention.end)


def _inside_company_name(text: str, start: int, end: int) -> bool:
    """'Wilson Foods Corp', 'Kaufman and Broad Inc', 'Adams-Russell Electronics': words of a company's name."""
    if start > 1 and text[start - 1] == "-" and text[start - 2].isalpha():
        return True
    tail = COMPANY_TAIL_RE.match(text, end)
    if tail is None:
        return False
    words = [word.lower().rstrip(".") for word in tail.group().split()]
    # After 'and' only a company's suffix will do: 'Reagan and Congress' are two.
    heads = COMPANY_SUFFIXES if words[0] in ("and", "&") else ORGANISATION_HEADS
    return any(word in heads for word in words)


def _named_as_company(candidates: list[Candidate]) -> list[Candidate]:
    """'McDonnell Douglas said', where the story also writes 'McDonnell Douglas Corp': the company, not a person."""
    companies = [" ".join(c.name.split()) for c in candidates if c.kind == SuggestionKind.NEW_ORGANISATION]
    return [
        c
        for c in candidates
        if c.kind == SuggestionKind.NEW_PERSON
        and any(company.startswith(" ".join(c.name.split()) + " ") for company in companies)
    ]


def _only_place(mention: Mention) -> bool:
    places = {e.pk for e in mention.entries if e.record == "place"}
    return len(places) == 1 and all(e.kind != NameKind.DEMONYM for e in mention.entries)


def _single_word_place_or_state(index: AuthorityIndex, entry: NameEntry) -> bool:
    if " " in entry.form.strip() or is_acronym(entry.form):
        return False
    return entry.record == "place" or index.actors[entry.pk].type == ActorType.STATE


def _name_confidence(entry: NameEntry) -> float:
    if entry.kind == NameKind.DEMONYM:
        return 0.6
    if entry.kind == NameKind.ACRONYM or is_acronym(entry.form):
        return 0.8 if len(re.sub(r"\W", "", entry.form)) <= 2 else 0.85
    return 0.9


def _date_proposals(fields: list[_Field], published: dt.date | None) -> list[Proposal]:
    proposals = []
    for f in fields:
        for mention in find_dates(f.name, f.text, published):
            confidence = 0.7 if mention.relative else 0.8
            if f.name == "dateline":
                confidence = 0.9
            proposals.append(
                Proposal(
                    SuggestionKind.DATE,
                    confidence,
                    [mention.evidence()],
                    date_start=mention.first,
                    date_end=mention.last,
                    date_precision=mention.precision,
                )
            )
    if published is not None:
        evidence = {"field": "published", "text": published.isoformat(), "cue": "the article's published date"}
        proposals.append(
            Proposal(
                SuggestionKind.DATE,
                0.95,
                [evidence],
                date_start=published,
                date_end=published,
                date_precision=DatePrecision.DAY,
            )
        )
    return proposals
