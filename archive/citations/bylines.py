"""Authors from a byline as printed: people, an agency, or nobody.

Bylines come as typed by a newsroom or an importer: "By John Smith and Jane
Doe", "Smith, John", "Chaitanya Kalbag, Reuters", "REUTERS", "Staff Writer".
Reference managers want each author as a person (family and given names) or
as an organisation kept whole. The rules, in order:

- "By" in front, a full stop at the end and " in Rome" after a name are not
  part of a name; ";", "and" and "&" separate authors.
- "Family, Given" (one family name, then given names or initials) is one
  inverted name; otherwise commas separate authors.
- A news agency (a known one, or the article's own source) is an
  organisation. Named beside a reporter it is their employer, not a
  co-author, so organisations count only when no person is named.
- Roles without a name ("Staff Writer", "Our Correspondent", "Agencies")
  name nobody: such an article is cited without an author, as citation
  styles cite unsigned articles, by title.
"""

import re
from dataclasses import dataclass

from archive.citations.text import one_line


@dataclass(frozen=True)
class Person:
    family: str
    given: str = ""
    particle: str = ""
    suffix: str = ""


@dataclass(frozen=True)
class Organisation:
    name: str


Author = Person | Organisation

AGENCIES = {
    "reuters": "Reuters",
    "reuter": "Reuters",
    "thomson reuters": "Reuters",
    "ap": "Associated Press",
    "associated press": "Associated Press",
    "the associated press": "Associated Press",
    "afp": "Agence France-Presse",
    "agence france-presse": "Agence France-Presse",
    "agence france presse": "Agence France-Presse",
    "upi": "United Press International",
    "united press international": "United Press International",
    "dpa": "Deutsche Presse-Agentur",
    "deutsche presse-agentur": "Deutsche Presse-Agentur",
    "ansa": "ANSA",
    "efe": "EFE",
    "xinhua": "Xinhua News Agency",
    "xinhua news agency": "Xinhua News Agency",
    "tass": "TASS",
    "itar-tass": "TASS",
    "kyodo": "Kyodo News",
    "kyodo news": "Kyodo News",
    "yonhap": "Yonhap News Agency",
    "anadolu": "Anadolu Agency",
    "anadolu agency": "Anadolu Agency",
    "bloomberg": "Bloomberg News",
    "bloomberg news": "Bloomberg News",
    "pa": "PA Media",
    "pa media": "PA Media",
    "press association": "PA Media",
    "aap": "Australian Associated Press",
    "pti": "Press Trust of India",
    "press trust of india": "Press Trust of India",
    "ians": "IANS",
}
# Words that make a byline a job rather than a name: "Staff Writer", "Reuters Staff", "Defence Correspondent".
ROLE_WORDS = {
    *("staff", "writer", "writers", "reporter", "reporters", "correspondent", "correspondents"),
    *("editor", "editors", "desk", "newsroom", "agencies", "wires", "team", "contributor", "contributors"),
}
ORGANISATION_WORDS = {
    *("news", "agency", "press", "service", "services", "network", "media", "group", "bureau", "board"),
    *("institute", "ministry", "council", "association", "organisation", "organization", "committee"),
    *("foundation", "office", "department", "company", "corporation", "inc", "inc.", "ltd", "ltd.", "wire"),
}
PARTICLES = {"van", "von", "der", "den", "de", "da", "del", "della", "di", "du", "la", "le", "dos", "das", "ter", "ten"}
SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"}

LEADING_BY = re.compile(r"^by(?:\s+|$)", re.IGNORECASE)
# A full stop that ends the byline, unless it ends an initial ("J.") or a suffix ("Jr.").
FINAL_STOP = re.compile(r"(?<=\w\w\w)\.$")
AUTHOR_SEPARATOR = re.compile(r"\s*;\s*|\s+(?:and|&)\s+", re.IGNORECASE)
# "John Smith in Rome": where the reporter filed from.
FILED_FROM = re.compile(r"\s+[Ii]n\s+[A-Z][^,]*$")
# "J." or "J.R." (initials), or a capitalised word that may hold hyphens and apostrophes ("O'Neill").
INITIALS = re.compile(r"^(?:[^\W\d_]\.)+$")
NAME_WORD = re.compile(r"^[^\W\d_][\w'\u2019.-]*$")


def byline_authors(byline: str, *, source: str = "") -> tuple[Author, ...]:
    """The authors a byline names, in its order, without repeats."""
    text = FINAL_STOP.sub("", LEADING_BY.sub("", one_line(byline)))
    if not text:
        return ()
    if len(text.split()) > 1 and not any(char.islower() for char in text):
        text = text.title()  # "STEPHEN JUKES AND PHILIP SHEHADI"; a lone "AFP" stays an acronym
    people, organisations = [], []
    for part in _parts(text):
        author = _author(part, source=source)
        if isinstance(author, Person):
            people.append(author)
        elif author is not None:
            organisations.append(author)
    return tuple(dict.fromkeys(people or organisations))


def _parts(text: str) -> list[str]:
    """One string per name: split at separators, with "Family, Given" kept whole."""
    parts = []
    for segment in filter(None, AUTHOR_SEPARATOR.split(text)):
        pieces = [piece.strip() for piece in segment.split(",") if piece.strip()]
        if len(pieces) == 2 and (_is_inverted(*pieces) or pieces[1].lower() in SUFFIXES):
            parts.append(", ".join(pieces))
        else:
            parts.extend(pieces)
    return parts


def _is_inverted(family: str, given: str) -> bool:
    family_words, given_words = family.split(), given.split()
    return (
        all(word in PARTICLES for word in family_words[:-1])
        and _is_name_word(family_words[-1])
        and _organisation_name(family, source="") is None
        and 1 <= len(given_words) <= 3
        and all(_is_name_word(word) for word in given_words)
        and _organisation_name(given, source="") is None
        and not ROLE_WORDS & {word.lower() for word in given_words}
    )


def _is_name_word(word: str) -> bool:
    return word[0].isupper() and (INITIALS.match(word) is not None or NAME_WORD.match(word) is not None)


def _organisation_name(text: str, *, source: str, known_only: bool = False) -> str | None:
    """The organisation a name stands for (a known agency, the article's source, or a name that reads as
    one: an acronym, "The ...", "... News"), or None for a person's name."""
    lowered = text.lower()
    if lowered in AGENCIES:
        return AGENCIES[lowered]
    if source and lowered == one_line(source).lower():
        return one_line(source)
    if known_only:
        return None
    words = text.split()
    if len(words) == 1 and len(text) <= 6 and text.isupper() and text.isalpha():
        return text
    if len(words) > 1 and (words[0].lower() == "the" or words[-1].lower() in ORGANISATION_WORDS):
        return text
    return None


def _author(part: str, *, source: str) -> Author | None:
    part = FILED_FROM.sub("", part).strip()
    words = part.split()
    if ROLE_WORDS & {word.lower() for word in words}:
        # "Reuters Staff" is the agency; "Staff Writer" and "Defence Correspondent" name nobody.
        named = " ".join(word for word in words if word.lower() not in ROLE_WORDS)
        organisation = _organisation_name(named, source=source, known_only=True) if named else None
        return Organisation(organisation) if organisation else None
    organisation = _organisation_name(part, source=source)
    if organisation is not None:
        return Organisation(organisation)
    return _person(part)


def _person(part: str) -> Person | None:
    """Family name last; lower-case "van der" before a capitalised one is its particle ("Van Morrison" has none)."""
    if "," in part:
        family_text, given = (piece.strip() for piece in part.split(",", 1))
        if given.lower() in SUFFIXES:
            person = _person(family_text)
            return Person(person.family, person.given, person.particle, given) if person else None
        words = family_text.split()
        return Person(words[-1], given, " ".join(words[:-1]))
    words = part.split()
    if not words:
        return None
    end = len(words) - 1
    start = end
    while start > 0 and words[start - 1] in PARTICLES and words[end][0].isupper():
        start -= 1
    return Person(words[end], " ".join(words[:start]), " ".join(words[start:end]))
