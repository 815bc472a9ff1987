"""BibTeX for LaTeX (BibTeX and biblatex), JabRef and Zotero: one ``@article`` per article.

Classic BibTeX has no newspaper entry type; ``@article`` with the paper as
``journal`` is what reference managers write, and ``entrysubtype =
{newspaper}`` tells biblatex the rest. ``date`` (biblatex) carries the date
at its precision; ``year`` and ``month`` repeat it for BibTeX styles. The
language is left out: biblatex wants a babel name there ("english"), and
prints a code such as "en" into the bibliography.

Text is escaped so that LaTeX prints it as stored: its special characters
become commands, the ligatures TeX would make of ``--`` or two quotes are
broken with ``{}``, and braces become ``\\textbraceleft{}`` and
``\\textbraceright{}``, because BibTeX counts every brace, escaped or not,
and one unbalanced brace would spoil the rest of the file. Titles are set in
a second pair of braces so that styles keep their capitals. The file is
UTF-8, which biber and any LaTeX since 2018 read as it is.
"""

import re
from collections.abc import Iterable, Iterator

from archive.citations.bylines import Author, Person
from archive.citations.records import Citation
from archive.citations.text import one_line

CONTENT_TYPE = "application/x-bibtex; charset=utf-8"
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
LIGATURE = re.compile(r"(?<=-)(?=-)|(?<=`)(?=`)|(?<=')(?=')|(?<=[!?])(?=`)|(?<=<)(?=<)|(?<=>)(?=>)|(?<=,)(?=,)")


def latex(text: str) -> str:
    """``text`` as LaTeX that prints it: one line, special characters as commands, no ligatures."""
    escaped = "".join(SPECIAL.get(char, char) for char in one_line(text))
    return LIGATURE.sub("{}", escaped)


def bibtex_name(author: Author) -> str:
    """``von Last, Jr, First`` for a person; an organisation in braces, so no part of it is read as a first name."""
    if not isinstance(author, Person):
        return "{" + latex(author.name) + "}"
    parts = (f"{author.particle} {author.family}", author.suffix, author.given)
    return ", ".join(_name_part(part) for part in parts if part.strip())


def _name_part(text: str) -> str:
    # BibTeX splits an author list at every bare word "and", whatever its case.
    part = " ".join("{" + word + "}" if word.lower() == "and" else word for word in latex(text).split(" "))
    # bibtexparser skips the character after a backslash while it looks for "and" and commas, and so misreads a
    # name part that starts with a command ("and \_", ", \%"); a leading {} changes nothing in print.
    return "{}" + part if part.startswith("\\") else part


def _protected(text: str) -> str:
    # A group that starts with a command is a "special character" to BibTeX, whose letters a style may
    # still lowercase: a leading {} makes it an ordinary group, kept as it is.
    escaped = latex(text)
    return "{" + ("{}" if escaped.startswith("\\") else "") + escaped + "}"


def fields(citation: Citation) -> Iterator[tuple[str, str]]:
    """(name, value as written) in the order written; values are braced or bare month macros."""
    yield "title", "{" + _protected(citation.title) + "}"
    if citation.authors:
        yield "author", "{" + " and ".join(bibtex_name(author) for author in citation.authors) + "}"
    if citation.container:
        yield "journal", "{" + latex(citation.container) + "}"
    yield "entrysubtype", "{newspaper}"
    if citation.issued:
        year, *month_day = citation.issued
        yield "date", "{" + "-".join([f"{year:04d}", *(f"{part:02d}" for part in month_day)]) + "}"
        yield "year", "{" + f"{year:04d}" + "}"
        if len(citation.issued) > 1:
            yield "month", MONTHS[citation.issued[1] - 1]
    yield "url", "{" + citation.url + "}"
    yield "urldate", "{" + citation.accessed.isoformat() + "}"
    if citation.keywords:
        yield "keywords", "{" + ", ".join(latex(keyword) for keyword in citation.keywords) + "}"


def write(citations: Iterable[Citation]) -> Iterator[str]:
    """One chunk per entry, entries separated by a blank line."""
    for citation in citations:
        body = ",\n".join(f"  {name} = {value}" for name, value in fields(citation))
        yield f"@article{{{citation.key},\n{body}\n}}\n\n"
