"""Names the authority records do not know yet: people, organisations and places, from capitals and context."""

import re
from dataclasses import dataclass

from archive.extraction.text import is_shouting, is_title_case, sentence_starts
from archive.extraction.vocabulary import (
    ADJECTIVE_TAILS,
    APPOSITION_WORDS,
    GENERIC_ROLE_NOUNS,
    LOCATIVE,
    MONTHS,
    NAME_PARTICLES,
    ORGANISATION_HEADS,
    ORGANISATION_LEADS,
    PERSON_FOLLOWERS,
    PERSON_TITLES,
    PLACE_HEADS,
    STOPWORDS,
    WEEKDAYS,
)
from archive.models import SuggestionKind

TOKEN_RE = re.compile(r"[^\W\d_][\w'\u2019.\-]*", re.UNICODE)
CONNECTORS = NAME_PARTICLES | {"of", "and", "for"}
INITIAL_RE = re.compile(r"[A-Z]\.")
# Compiled once: a story has hundreds of capitalised runs, each tried against every head in order.
PLACE_HEAD_RES = [(head, re.compile(rf"\s+(?:the\s+)?{head}\b")) for head in PLACE_HEADS]
# Matches wherever one of them does, so one test rules most runs out.
ANY_PLACE_HEAD_RE = re.compile(rf"\s+(?:the\s+)?(?:{'|'.join(PLACE_HEADS)})\b")
FOLLOWER_RE = re.compile(r"\s*(?:,\s*(?P<apposition>\w+)|\s+(?P<verb>\w+))")
# A lower-case word right after the name: 'Militant group', 'Kremlin officials'.
GENERIC_FOLLOWER_RE = re.compile(r"[ \t]+([a-z]+)\b")
ARTICLES = {"a", "an", "the"}


@dataclass(slots=True)
class Candidate:
    kind: str
    name: str
    field: str
    start: int
    end: int
    confidence: float
    cue: str

    def evidence(self) -> dict:
        return {"field": self.field, "start": self.start, "end": self.end, "text": self.name, "cue": self.cue}


@dataclass(slots=True)
class _Token:
    text: str
    start: int
    end: int

    @property
    def bare(self) -> str:
        """The word without a possessive or a sentence-final full stop."""
        word = self.text
        for suffix in ("'s", "\u2019s"):
            if word.endswith(suffix):
                return word[: -len(suffix)]
        if word.endswith(".") and word.lower() not in PERSON_TITLES and not INITIAL_RE.fullmatch(word):
            return word[:-1]
        return word

    @property
    def capitalised(self) -> bool:
        """A capital, and not an adjective made from a name ('Isis-controlled', 'Tokyo-based'): such a word
        names no new record, and its name part is matched, if the records know it, as a known name.

        Only the endings of such adjectives count: 'Chi-cheng' and 'In-yong' are given names.
        """
        if not self.text[0].isupper():
            return False
        if "-" not in self.text:
            return True
        head, _, tail = self.bare.rpartition("-")
        return not (head and tail.islower() and (tail.endswith("ed") or tail in ADJECTIVE_TAILS))


def find_candidates(field: str, text: str, known_spans: list[tuple[int, int]]) -> list[Candidate]:
    """Runs of capitalised words outside known names, classified by the words around them."""
    if not text or is_shouting(text) or (field == "title" and is_title_case(text)):
        return []
    starts = sentence_starts(text)
    tokens = [_Token(m.group(), m.start(), m.end()) for m in TOKEN_RE.finditer(text)]
    known = sorted(known_spans)
    candidates = []
    for run_start, run_end in _runs(text, tokens, known):
        candidate = _classify(field, text, tokens, run_start, run_end, starts)
        if candidate is not None and not (
            candidate.kind == SuggestionKind.NEW_PERSON and _opens_known_name(text, candidate.end, known)
        ):
            candidates.append(candidate)
    return candidates


def _opens_known_name(text: str, end: int, known: list[tuple[int, int]]) -> bool:
    """'Barend' in 'Barend du Plessis', where the records know 'du Plessis': a first name, not a new person."""
    return any(start > end and not text[end:start].strip() for start, _ in known)


def _inside_known(token: _Token, known: list[tuple[int, int]]) -> bool:
    return any(start < token.end and token.start < end for start, end in known)


def _runs(text: str, tokens: list[_Token], known: list[tuple[int, int]]):
    """Index ranges of tokens forming one capitalised name, joined only by spaces and name particles."""
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if not token.capitalised or _inside_known(token, known):
            index += 1
            continue
        end = index + 1
        while end < len(tokens):
            previous, current = tokens[end - 1], tokens[end]
            gap = text[previous.end : current.start]
            if gap.strip() or "\n\n" in gap or previous.text.endswith("'s") or _inside_known(current, known):
                break
            if previous.text.endswith(".") and previous.text.lower() not in PERSON_TITLES and len(previous.text) > 2:
                break
            if current.capitalised:
                end += 1
                continue
            if current.text.lower() in CONNECTORS and end + 1 < len(tokens) and tokens[end + 1].capitalised:
                end += 1
                continue
            break
        yield index, end
        index = end


def _classify(field, text, tokens, first, last, starts) -> Candidate | None:
    run = tokens[first:last]
    at_sentence_start = run[0].start in starts
    before = tokens[first - 1].text.lower() if first > 0 else ""
    title_cue = before in PERSON_TITLES and not tokens[first - 1].capitalised
    while run and (run[0].bare.lower() in STOPWORDS or run[0].bare.lower() in PERSON_TITLES):
        title_cue = title_cue or run[0].bare.lower() in PERSON_TITLES
        if run[0].bare.lower() in PERSON_TITLES and run[0].bare.lower() in ORGANISATION_LEADS:
            break
        run = run[1:]
    while run and run[-1].text.lower() in CONNECTORS:
        run = run[:-1]
    if not run:
        return None
    inner_titles = [i for i, token in enumerate(run[:-1]) if token.bare.lower() in PERSON_TITLES]
    if inner_titles and run[-1].bare.lower() not in ORGANISATION_HEADS:
        # 'Farm Commissioner Frans Andriessen': the name follows the last title word.
        run, title_cue = run[inner_titles[-1] + 1 :], True
    words = [token.bare for token in run]
    name = text[run[0].start : run[-1].start] + words[-1]
    start, end = run[0].start, run[0].start + len(name)
    after = text[end : end + 40]
    lowered = [w.lower() for w in words]
    if lowered[-1] in ORGANISATION_HEADS or (lowered[0] in ORGANISATION_LEADS and len(words) > 2):
        if len(words) >= 2:
            return Candidate(SuggestionKind.NEW_ORGANISATION, name, field, start, end, 0.6, "organisation word")
        return None
    if len(words) == 1 and (lowered[0] in MONTHS or lowered[0] in WEEKDAYS or lowered[0] in STOPWORDS):
        return None
    if any(w.isupper() and len(w) > 1 for w in words):
        return None
    place_head = None
    if ANY_PLACE_HEAD_RE.match(after):
        place_head = next(head for head, pattern in PLACE_HEAD_RES if pattern.match(after))
    locative = before in LOCATIVE and not title_cue
    if len(words) <= 2 and (place_head or locative):
        cue = f"followed by '{place_head}'" if place_head else f"after '{before}'"
        return Candidate(SuggestionKind.NEW_PLACE, name, field, start, end, 0.6 if place_head else 0.55, cue)
    personal = 2 <= len(words) <= 4 and _name_like(words[0]) and all(_name_like(w, later=True) for w in words[1:])
    if _in_generic_role(text, tokens, first, after, title_cue):
        return None
    if title_cue and (personal or (len(words) == 1 and _name_like(words[0]))):
        return Candidate(SuggestionKind.NEW_PERSON, name, field, start, end, 0.75, "after a title")
    if not personal:
        return None
    follower = FOLLOWER_RE.match(after)
    if follower and (follower.group("apposition") or "").lower() in APPOSITION_WORDS:
        return Candidate(SuggestionKind.NEW_PERSON, name, field, start, end, 0.65, "followed by a description")
    # 'Dimitris Halikias said' and, closing an apposition, 'the governor, Dimitris Halikias, said'.
    verb = follower.group("verb") or follower.group("apposition") if follower else ""
    if verb.lower() in PERSON_FOLLOWERS:
        return Candidate(SuggestionKind.NEW_PERSON, name, field, start, end, 0.65, "followed by a speech verb")
    return Candidate(SuggestionKind.NEW_PERSON, name, field, start, end, 0.3 if at_sentence_start else 0.4, "capitals")


def _in_generic_role(text: str, tokens: list[_Token], first: int, after: str, title_cue: bool) -> bool:
    """'a Militant', 'Islamic State Militant group': a capitalised common noun, not a person's name.

    An article before the words (unless a title stands between: 'the Rev. Jesse Jackson') or a word of
    a group or a role after them ('group', 'forces', 'officials') shows they describe, not name.
    """
    if first > 0 and not title_cue:
        previous = tokens[first - 1]
        if previous.text.lower() in ARTICLES and not text[previous.end : tokens[first].start].strip():
            return True
    follower = GENERIC_FOLLOWER_RE.match(after)
    return bool(follower) and follower.group(1) in GENERIC_ROLE_NOUNS


def _name_like(word: str, *, later: bool = False) -> bool:
    """Whether a capitalised word can be part of a personal name; after a first name, 'May' can."""
    lowered = word.lower()
    if lowered in NAME_PARTICLES:
        return True
    if later:
        return word[0].isupper() and lowered not in PERSON_TITLES and lowered not in ORGANISATION_HEADS
    return (
        word[0].isupper()
        and lowered not in STOPWORDS
        and lowered not in PERSON_TITLES
        and lowered not in MONTHS
        and lowered not in WEEKDAYS
        and lowered not in ORGANISATION_HEADS
    )
