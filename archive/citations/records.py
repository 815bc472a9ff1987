"""The one mapping from a published article to a citation; the format modules only write it out."""

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from archive.citations.bylines import Author, Person, byline_authors
from archive.models import Article, DatePrecision
from archive.selectors import ExportRow

# Title words too common to tell two citation keys apart.
KEY_STOPWORDS = {"a", "an", "the", "of", "on", "in", "to", "for", "and", "at", "by", "with", "from", "as", "is"}
KEY_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Citation:
    key: str
    title: str
    authors: tuple[Author, ...]
    container: str
    issued: tuple[int, ...]
    url: str
    accessed: dt.date
    keywords: tuple[str, ...]
    language: str


def issued_parts(article: Article) -> tuple[int, ...]:
    """Year, month and day as far as the published date is known: (), (2016,), (2016, 2) or (2016, 2, 24).

    A week or an unlabelled range is cited by what all its days share (the
    month, else the year), never by a day it may not have been published on;
    a week across New Year shares nothing and is cited without a date.
    """
    start = article.published_start
    if start is None:
        return ()
    end = article.published_end or start
    known = {DatePrecision.YEAR: 1, DatePrecision.MONTH: 2}.get(article.published_precision, 3)
    shared = []
    for first, last in zip(
        (start.year, start.month, start.day)[:known], (end.year, end.month, end.day)[:known], strict=True
    ):
        if first != last:
            break
        shared.append(first)
    return tuple(shared)


def keywords(row: ExportRow) -> tuple[str, ...]:
    """Tags, then the published actors and places, each name once whatever its case.

    Actors and places are the archive's subject headings; a reference
    manager has only keywords to keep them, and researchers filter by them.
    """
    names = [*row.tags, *(actor.name for actor in row.actors), *(place.name for place in row.places)]
    seen, unique = set(), []
    for name in names:
        if name.strip() and name.casefold() not in seen:
            seen.add(name.casefold())
            unique.append(name)
    return tuple(unique)


def _ascii_words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return KEY_WORD.findall(folded)


def citation_key(article: Article, authors: tuple[Author, ...], issued: tuple[int, ...]) -> str:
    """``smith2016italy-42``: first author, year and first telling title word, made unique by the article's id.

    The id keeps a key unique in any export and the same in every export.
    """
    name = ""
    if authors:
        first = authors[0]
        name = "".join(_ascii_words(first.family if isinstance(first, Person) else first.name)[:1])
    word = next((word for word in _ascii_words(article.title) if word not in KEY_STOPWORDS), "")
    stem = f"{name}{issued[0] if issued else ''}{word}" or "article"
    return f"{stem}-{article.pk}"


def citation(row: ExportRow, *, url: str, accessed: dt.date) -> Citation:
    article = row.article
    authors = byline_authors(article.byline, source=article.source)
    issued = issued_parts(article)
    return Citation(
        key=citation_key(article, authors, issued),
        title=article.title,
        authors=authors,
        container=article.source,
        issued=issued,
        url=url,
        accessed=accessed,
        keywords=keywords(row),
        language=article.language,
    )


def citations(rows: Iterable[ExportRow], *, article_url: str, accessed: dt.date) -> Iterator[Citation]:
    """``article_url`` holds ``{slug}`` where each article's slug goes."""
    for row in rows:
        yield citation(row, url=article_url.format(slug=row.article.slug), accessed=accessed)
