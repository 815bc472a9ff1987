"""CSL-JSON, the input of citeproc (Zotero, Mendeley, Pandoc): a JSON array of ``article-newspaper`` items.

JSON escapes every character itself, so titles and names go in exactly as
stored. A person is ``family``/``given`` (with ``non-dropping-particle`` for
"van der"); an organisation is one ``literal`` name, which citeproc never
splits or abbreviates to initials. ``keyword`` is one string, comma-separated,
as CSL defines it.
"""

import json
from collections.abc import Iterable, Iterator

from archive.citations.bylines import Author, Person
from archive.citations.records import Citation

CONTENT_TYPE = "application/vnd.citationstyles.csl+json; charset=utf-8"


def csl_name(author: Author) -> dict:
    if not isinstance(author, Person):
        return {"literal": author.name}
    name = {"family": author.family, "given": author.given}
    if author.particle:
        name["non-dropping-particle"] = author.particle
    if author.suffix:
        name["suffix"] = author.suffix
    return {key: value for key, value in name.items() if value}


def item(citation: Citation) -> dict:
    data = {"id": citation.key, "type": "article-newspaper", "title": citation.title}
    if citation.authors:
        data["author"] = [csl_name(author) for author in citation.authors]
    if citation.container:
        data["container-title"] = citation.container
    if citation.issued:
        data["issued"] = {"date-parts": [list(citation.issued)]}
    data["URL"] = citation.url
    data["accessed"] = {"date-parts": [[citation.accessed.year, citation.accessed.month, citation.accessed.day]]}
    if citation.keywords:
        data["keyword"] = ", ".join(citation.keywords)
    if citation.language:
        data["language"] = citation.language
    return data


def write(citations: Iterable[Citation]) -> Iterator[str]:
    """The array written one item at a time."""
    yield "["
    for position, citation in enumerate(citations):
        yield ("," if position else "") + "\n" + json.dumps(item(citation), ensure_ascii=False)
    yield "\n]\n"
