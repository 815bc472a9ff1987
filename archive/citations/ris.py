"""RIS, the tagged format of EndNote, Zotero, Mendeley and RefWorks: one ``TAG  - value`` line per field.

RIS has no escapes, so a value is kept to one line: line breaks, tabs and
other control characters become single spaces, or a value's second line
would be read as a continuation or, looking like ``ER  - ``, as a new tag.
Names are "Family, Given"; an organisation ends with a comma ("Reuters,"),
which EndNote and Zotero read as one name not to be split.
"""

from collections.abc import Iterable, Iterator

from archive.citations.bylines import Author, Person
from archive.citations.records import Citation
from archive.citations.text import one_line

CONTENT_TYPE = "application/x-research-info-systems; charset=utf-8"
# The RIS specification ends lines with CR LF; every reader also takes LF.
NEWLINE = "\r\n"


def ris_name(author: Author) -> str:
    if not isinstance(author, Person):
        return f"{one_line(author.name)},"
    family = one_line(f"{author.particle} {author.family}")
    return ", ".join(part for part in (family, one_line(author.given), one_line(author.suffix)) if part)


def _date(parts: tuple[int, ...]) -> str:
    """``YYYY/MM/DD/``, with the unknown parts left empty (``2016/02//``)."""
    year, month, day = (*parts, None, None, None)[:3]
    return f"{year:04d}/{f'{month:02d}' if month else ''}/{f'{day:02d}' if day else ''}/"


def record_lines(citation: Citation) -> Iterator[tuple[str, str]]:
    yield "TY", "NEWS"
    yield "ID", citation.key
    yield "TI", citation.title
    for author in citation.authors:
        yield "AU", ris_name(author)
    if citation.container:
        yield "T2", citation.container
    if citation.issued:
        yield "PY", f"{citation.issued[0]:04d}"
        yield "DA", _date(citation.issued)
    yield "UR", citation.url
    yield "Y2", _date((citation.accessed.year, citation.accessed.month, citation.accessed.day))
    for keyword in citation.keywords:
        yield "KW", keyword
    if citation.language:
        yield "LA", citation.language
    yield "ER", ""


def write(citations: Iterable[Citation]) -> Iterator[str]:
    """One chunk per reference."""
    for citation in citations:
        yield "".join(f"{tag}  - {one_line(value)}{NEWLINE}" for tag, value in record_lines(citation))
