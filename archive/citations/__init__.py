"""Citations for reference managers: RIS, BibTeX and CSL-JSON, for one article or a whole result set.

``records`` decides what a citation holds (authors from the byline, the
date at its precision, keywords); each format module only writes it out, a
reference at a time, so a result set of any size streams in bounded memory.
"""

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from archive.citations import bibtex, csl_json, records, ris
from archive.selectors import ExportRow


@dataclass(frozen=True)
class CitationFormat:
    label: str
    extension: str
    content_type: str
    write: Callable[[Iterable[records.Citation]], Iterator[str]]
    readers: str


FORMATS = {
    format_.extension: format_
    for format_ in (
        CitationFormat("RIS", "ris", ris.CONTENT_TYPE, ris.write, "EndNote, Zotero, Mendeley, RefWorks"),
        CitationFormat("BibTeX", "bib", bibtex.CONTENT_TYPE, bibtex.write, "LaTeX, JabRef, Zotero"),
        CitationFormat("CSL-JSON", "csl.json", csl_json.CONTENT_TYPE, csl_json.write, "Zotero, Pandoc, citeproc"),
    )
}


def citation_chunks(
    format_: CitationFormat, rows: Iterable[ExportRow], *, article_url: str, accessed: dt.date
) -> Iterator[str]:
    """The file, piece by piece; ``article_url`` holds ``{slug}`` where each article's slug goes."""
    return format_.write(records.citations(rows, article_url=article_url, accessed=accessed))
