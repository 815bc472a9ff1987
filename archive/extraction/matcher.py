"""Find the known names of actors and places in a text: whole words, case- and accent-aware."""

from dataclasses import dataclass

from archive.extraction.authorities import AuthorityIndex, NameEntry
from archive.extraction.text import fold, is_shouting, unaccent
from archive.extraction.vocabulary import COMMON_SHORT_WORDS, NAME_PARTICLES


@dataclass(slots=True)
class Mention:
    """Words of one field that name one or more records (ambiguity is resolved later)."""

    field: str
    start: int
    end: int
    text: str
    entries: tuple[NameEntry, ...]

    def evidence(self) -> dict:
        return {"field": self.field, "start": self.start, "end": self.end, "text": self.text}


def is_acronym(form: str) -> bool:
    """All capitals (NATO, U.S., G-7): such a name is only matched in exactly that case."""
    return any(c.isupper() for c in form) and not any(c.islower() for c in form)


def case_matches(form: str, segment: str, *, shouting: bool) -> bool:
    """Whether these words of the text name the record the way ``form`` does.

    An acronym needs its exact case (``US`` is the country, ``us`` the
    pronoun), except that long ones may be written as words (``Nato``,
    ``Isis``). Other names need their capitals (``Turkey``, not ``turkey``),
    unless the whole text is in capitals, where case tells nothing.
    """
    form, segment = unaccent(form.strip()), unaccent(segment)
    if is_acronym(form):
        if segment == form:
            return not (shouting and form.replace(".", "").lower() in COMMON_SHORT_WORDS)
        letters = sum(c.isalpha() for c in form)
        return letters >= 4 and not shouting and segment == form[0] + form[1:].lower()
    if shouting:
        return True
    if segment.isupper():
        # In ordinary text, words in capitals are an acronym ('ICO', not 'Icó') or a heading ('STOCK SPLIT').
        return False
    for index, char in enumerate(form):
        starts_word = index == 0 or not form[index - 1].isalnum()
        if char.isupper() and starts_word and not segment[index].isupper() and not _particle_at(form, index):
            return False
    return True


def _particle_at(form: str, index: int) -> bool:
    """Whether the word starting at ``index`` is a particle ('Du' of 'Du Plessis') that is also written small."""
    word = form[index:].split(" ", 1)[0]
    return len(form) > len(word) and word.lower() in NAME_PARTICLES


def find_mentions(index: AuthorityIndex, field: str, text: str) -> list[Mention]:
    """The longest non-overlapping known names in ``text``, leftmost first.

    A dateline writes its place in capitals by convention ('NEW YORK, March 3'),
    so case says nothing there.
    """
    if not index.size or not text:
        return []
    folded = fold(text)
    shouting = is_shouting(text) or field == "dateline"
    found: list[Mention] = []
    for last, (length, entries) in index.automaton.iter(folded):
        start, end = last - length + 1, last + 1
        if start > 0 and folded[start - 1].isalnum():
            continue
        if end < len(folded) and folded[end].isalnum() and folded[end - 1].isalnum():
            continue
        segment = text[start:end]
        accepted = tuple(e for e in entries if case_matches(e.form, segment, shouting=shouting))
        if accepted:
            found.append(Mention(field, start, end, segment, accepted))
    found.sort(key=lambda m: (m.start, -(m.end - m.start)))
    chosen: list[Mention] = []
    covered_to = -1
    for mention in found:
        if mention.start >= covered_to:
            chosen.append(mention)
            covered_to = mention.end
    return chosen
