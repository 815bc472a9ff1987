"""Property-based fuzzing of the citation writers: any title, byline and source, read back by the real readers.

Whatever an article's title, byline and source hold (braces, backslashes,
TeX's special characters and ligatures, quotes, control characters, line
breaks, non-Latin text, very long values), each format parses with its
reader into one reference whose title and paper come back as stored (with
runs of whitespace as one space in RIS and BibTeX, exactly in CSL-JSON) and
whose authors are the same in all three formats.
"""

import datetime as dt
import json

from bibtexparser.middlewares import NameParts
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.citations import bibtex, csl_json, records, ris
from archive.citations.bylines import Person
from archive.citations.text import one_line
from archive.models import Article
from archive.selectors import ExportRow
from tests.citation_readers import read_bibtex, read_ris, render_csl

FUZZ = settings(max_examples=300, deadline=None, database=None)

# Characters that mean something to one of the formats, and words that mean something to a byline.
AWKWARD = st.sampled_from(
    [
        *("{", "}", "\\", "%", "&", "$", "#", "_", "~", "^", '"', "'", "`", "-", "--", "!`", "<<", ",,", "@"),
        *("\n", "\r\n", "\t", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u00a0", "\x00", "\x7f"),
        *("ER  - ", "TY  - ", "\\textbf{", "\\\\", "{}", "@article{", "and", "AND", " and ", ";", ",", "."),
        *("By ", "Staff Writer", "Reuters", "AP", "Smith, John", "van der", "Jr.", "in Rome", "The", "News"),
        *("é", "Ærø", "Ελλάδα", "ليبيا", "東京", "\U0001f6e9", "e\u0301", "ß"),
    ]
)
TEXT = st.lists(AWKWARD | st.text(max_size=8), max_size=12).map("".join) | st.text(max_size=200)
TITLE = TEXT.filter(lambda text: text.strip()) | st.text(min_size=400, max_size=500)


def citation(title: str, byline: str, source: str) -> records.Citation:
    article = Article(
        pk=7,
        slug="a",
        title=title,
        byline=byline,
        source=source,
        language="en",
        published_start=dt.date(2016, 2, 24),
        published_end=dt.date(2016, 2, 24),
        published_precision="day",
    )
    row = ExportRow(article, [], [], [title, source])
    return records.citation(row, url="http://testserver/articles/a/", accessed=dt.date(2026, 3, 1))


def expected_ris_name(author) -> str:
    if isinstance(author, Person):
        family = one_line(f"{author.particle} {author.family}")
        return ", ".join(part for part in (family, one_line(author.given), one_line(author.suffix)) if part)
    return one_line(author.name) + ","


@FUZZ
@given(title=TITLE, byline=TEXT, source=TEXT)
def test_every_format_reads_back_what_was_written(title, byline, source):
    """One reference per format, with the title, the paper and the same authors in each."""
    cited = citation(title, byline, source)

    (reference,) = read_ris("".join(ris.write([cited])))
    assert reference["title"] == one_line(title)
    assert reference.get("secondary_title", "") == one_line(source)
    assert reference.get("authors", []) == [expected_ris_name(author) for author in cited.authors]

    (entry,) = read_bibtex("".join(bibtex.write([cited])))
    assert entry.key == cited.key
    assert entry["title"] == one_line(title)
    assert (entry["journal"] if "journal" in entry.fields_dict else "") == one_line(source)
    names = entry["author"] if "author" in entry.fields_dict else []
    assert len(names) == len(cited.authors)
    for name, author in zip(names, cited.authors, strict=True):
        if isinstance(author, Person):
            assert " ".join(name.von + name.last) == one_line(f"{author.particle} {author.family}")
            assert " ".join(name.first) == one_line(author.given)
        else:
            assert name == NameParts(first=[], von=[], last=[one_line(author.name)], jr=[])

    items = json.loads("".join(csl_json.write([cited])))
    assert items[0]["title"] == title
    assert items[0].get("container-title", "") == source
    assert len(items[0].get("author", [])) == len(cited.authors)
    assert len(render_csl(items)) == 1
