"""Citation exports: RIS, BibTeX and CSL-JSON for one article and for a whole result set, read back by real readers."""

import datetime as dt
import json

import pytest
from bibtexparser.middlewares import NameParts
from django.utils import timezone

from archive import selectors
from archive.models import ArticleStatus, DatePrecision
from tests.citation_readers import read_bibtex, read_ris, render_csl
from tests.factories import ActorFactory, ArticleFactory
from tests.public_data import SEED_TITLE, dated_article, draft

pytestmark = pytest.mark.django_db

ACCESSED = dt.date(2026, 3, 1)
EXTENSIONS = ("ris", "bib", "csl.json")
CONTENT_TYPES = {
    "ris": "application/x-research-info-systems; charset=utf-8",
    "bib": "application/x-bibtex; charset=utf-8",
    "csl.json": "application/vnd.citationstyles.csl+json; charset=utf-8",
}
CITED_TITLE = "Italy lets US drones fly from Sigonella"
CITED_URL = "http://testserver/articles/italy-lets-us-drones-fly/"
KEYWORDS = ["airbase", "drones", "Islamic State", "Italy", "Libya", "Sigonella Naval Air Station"]


@pytest.fixture(autouse=True)
def accessed_today(monkeypatch):
    """The access date is the day of the download; the tests fix that day."""
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: ACCESSED)


@pytest.fixture
def cited(world, indexed):
    """A published article with two reporters, tags, and actors and places (a draft actor among them)."""
    secret = ActorFactory(name="Unnamed informant", status="draft")
    return indexed(
        lambda: ArticleFactory(
            title=CITED_TITLE,
            slug="italy-lets-us-drones-fly",
            byline="By Jane Doe and Jan van der Berg",
            source="International Business Times",
            published_start=dt.date(2016, 2, 24),
            actors=[world.islamic_state, world.italy_state, secret],
            places=[world.sigonella, world.libya, world.italy],
            tags=["drones", "airbase"],
        )
    )


def body(response) -> str:
    return b"".join(response.streaming_content).decode()


def test_ris_holds_every_field_of_the_article(client, cited):
    """RIS: type NEWS, title, one AU per reporter ("Family, Given"), paper, year and day, address, access
    date, one KW per keyword, language, and the citation key as ID."""
    text = body(client.get(f"/articles/{cited.slug}/cite.ris"))
    assert read_ris(text) == [
        {
            "type_of_reference": "NEWS",
            "id": f"doe2016italy-{cited.pk}",
            "title": CITED_TITLE,
            "authors": ["Doe, Jane", "van der Berg, Jan"],
            "secondary_title": "International Business Times",
            "year": "2016",
            "date": "2016/02/24/",
            "urls": [CITED_URL],
            "access_date": "2026/03/01/",
            "keywords": KEYWORDS,
            "language": "en",
        }
    ]


def test_bibtex_holds_every_field_of_the_article(client, cited):
    """BibTeX: an @article with the paper as journal, entrysubtype newspaper, authors as name parts,
    date for biblatex, year and month for BibTeX, url, urldate and keywords."""
    entries = read_bibtex(body(client.get(f"/articles/{cited.slug}/cite.bib")))
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.entry_type, entry.key) == ("article", f"doe2016italy-{cited.pk}")
    assert entry.fields_dict.keys() == {
        *("title", "author", "journal", "entrysubtype", "date", "year", "month", "url", "urldate", "keywords"),
    }
    assert entry["title"] == CITED_TITLE
    assert entry["author"] == [
        NameParts(first=["Jane"], von=[], last=["Doe"], jr=[]),
        NameParts(first=["Jan"], von=["van", "der"], last=["Berg"], jr=[]),
    ]
    assert entry["journal"] == "International Business Times"
    assert entry["entrysubtype"] == "newspaper"
    assert (entry["date"], entry["year"], entry["month"]) == ("2016-02-24", "2016", "feb")
    assert (entry["url"], entry["urldate"]) == (CITED_URL, "2026-03-01")
    assert entry["keywords"] == ", ".join(KEYWORDS)


def test_csl_json_holds_every_field_and_renders_in_harvard_style(client, cited):
    """CSL-JSON: an article-newspaper item with names, paper, issued and accessed dates, URL, keywords and
    language; citeproc-py renders it in Harvard style with every one of the fields that style prints."""
    items = json.loads(body(client.get(f"/articles/{cited.slug}/cite.csl.json")))
    assert items == [
        {
            "id": f"doe2016italy-{cited.pk}",
            "type": "article-newspaper",
            "title": CITED_TITLE,
            "author": [
                {"family": "Doe", "given": "Jane"},
                {"family": "Berg", "given": "Jan", "non-dropping-particle": "van der"},
            ],
            "container-title": "International Business Times",
            "issued": {"date-parts": [[2016, 2, 24]]},
            "URL": CITED_URL,
            "accessed": {"date-parts": [[2026, 3, 1]]},
            "keyword": ", ".join(KEYWORDS),
            "language": "en",
        }
    ]
    assert render_csl(items) == [
        f"Doe, J. and van der Berg, J. (2016) “{CITED_TITLE}”, International Business Times, 24 February. "
        f"Available at: {CITED_URL} (Accessed: March 1, 2026)."
    ]


@pytest.mark.parametrize("extension", EXTENSIONS)
def test_article_citation_is_a_download_named_after_the_article(client, cited, extension):
    """Each format has its media type and downloads as <slug>.<extension>."""
    response = client.get(f"/articles/{cited.slug}/cite.{extension}")
    assert response["Content-Type"] == CONTENT_TYPES[extension]
    assert response["Content-Disposition"] == f'attachment; filename="italy-lets-us-drones-fly.{extension}"'


@pytest.mark.parametrize("status", [ArticleStatus.DRAFT, ArticleStatus.IN_REVIEW, ArticleStatus.WITHDRAWN])
@pytest.mark.parametrize("extension", EXTENSIONS)
def test_unpublished_article_has_no_citation(client, indexed, status, extension):
    """A draft, an article in review and a withdrawn one are not found, exactly as their page is not."""
    article = indexed(lambda: ArticleFactory(title="Unchecked wire copy", slug="unchecked-wire-copy", status=status))
    assert client.get(f"/articles/{article.slug}/").status_code == 404
    assert client.get(f"/articles/{article.slug}/cite.{extension}").status_code == 404


def test_unknown_citation_format_is_not_found(client, cited):
    """Only the three formats have addresses."""
    assert client.get(f"/articles/{cited.slug}/cite.txt").status_code == 404
    assert client.get("/search/export.xml").status_code == 404


def test_organisation_byline_is_one_name_in_each_format(client, indexed):
    """An agency byline is an organisation: "Reuters," in RIS, a braced name in BibTeX, a literal in CSL-JSON,
    cited by its name in full."""
    article = indexed(
        lambda: dated_article(dt.date(1987, 2, 26), title="Cocoa talks adjourn", byline="REUTERS", source="Reuters")
    )
    assert read_ris(body(client.get(f"/articles/{article.slug}/cite.ris")))[0]["authors"] == ["Reuters,"]
    entry = read_bibtex(body(client.get(f"/articles/{article.slug}/cite.bib")))[0]
    assert entry["author"] == [NameParts(first=[], von=[], last=["Reuters"], jr=[])]
    assert entry.key == f"reuters1987cocoa-{article.pk}"
    items = json.loads(body(client.get(f"/articles/{article.slug}/cite.csl.json")))
    assert items[0]["author"] == [{"literal": "Reuters"}]
    assert render_csl(items)[0].startswith("Reuters (1987) “Cocoa talks adjourn”, Reuters, 26 February.")


def test_staff_byline_is_cited_without_an_author(client, world):
    """ "Staff Writer" names nobody: no AU, no author field, and Harvard style starts with the paper."""
    slug = world.article.slug
    assert "authors" not in read_ris(body(client.get(f"/articles/{slug}/cite.ris")))[0]
    assert "author" not in read_bibtex(body(client.get(f"/articles/{slug}/cite.bib")))[0].fields_dict
    items = json.loads(body(client.get(f"/articles/{slug}/cite.csl.json")))
    assert "author" not in items[0]
    assert render_csl(items)[0].startswith(f"International Business Times (2016) “{SEED_TITLE}”")


@pytest.mark.parametrize(
    ("start", "end", "precision", "ris_date", "bib_date", "bib_month", "csl_parts"),
    [
        (
            dt.date(2016, 2, 24),
            dt.date(2016, 2, 24),
            DatePrecision.DAY,
            "2016/02/24/",
            "2016-02-24",
            "feb",
            [2016, 2, 24],
        ),
        (dt.date(2016, 2, 1), dt.date(2016, 2, 29), DatePrecision.MONTH, "2016/02//", "2016-02", "feb", [2016, 2]),
        (dt.date(2016, 1, 1), dt.date(2016, 12, 31), DatePrecision.YEAR, "2016///", "2016", None, [2016]),
        (dt.date(2016, 2, 22), dt.date(2016, 2, 28), DatePrecision.WEEK, "2016/02//", "2016-02", "feb", [2016, 2]),
        (dt.date(2016, 2, 29), dt.date(2016, 3, 6), DatePrecision.WEEK, "2016///", "2016", None, [2016]),
        (dt.date(2015, 12, 28), dt.date(2016, 1, 3), DatePrecision.WEEK, None, None, None, None),
        (None, None, "", None, None, None, None),
    ],
)
def test_date_is_cited_at_its_precision_and_never_with_an_invented_day(
    client, indexed, start, end, precision, ris_date, bib_date, bib_month, csl_parts
):
    """Day, month or year as known; a week by the month or year all its days share; no date when unknown."""
    article = indexed(
        lambda: ArticleFactory(
            title="Shipping digest", published_start=start, published_end=end, published_precision=precision
        )
    )
    ris = read_ris(body(client.get(f"/articles/{article.slug}/cite.ris")))[0]
    assert (ris.get("year"), ris.get("date")) == (ris_date and ris_date[:4], ris_date)

    fields = read_bibtex(body(client.get(f"/articles/{article.slug}/cite.bib")))[0].fields_dict
    bib = {name: field.value for name, field in fields.items()}
    assert (bib.get("date"), bib.get("year"), bib.get("month")) == (bib_date, bib_date and bib_date[:4], bib_month)

    items = json.loads(body(client.get(f"/articles/{article.slug}/cite.csl.json")))
    assert items[0].get("issued") == ({"date-parts": [csl_parts]} if csl_parts else None)
    assert len(render_csl(items)) == 1


AWKWARD = [
    ('Braces {and} "quotes" \\ back\\slash', "Zoë Ærø-Ñúñez"),
    ("100% of $5 & #1 _under_ ~tilde^caret", "By José Pérez & Anne-Marie O'Neill"),
    ("{{}}{}}{", "{}}{ and {{"),
    ("Line one\nline two\ttabbed\r\nER  - not a tag", "Jane\nDoe"),
    ("Dashes -- and --- ``ligatures'' !` ?` << >> ,,", "Smith, John"),
    ("Ελλάδα · ليبيا · 東京 · \U0001f6e9", "Δημήτρης Παπαδόπουλος"),
    ("\\textbf{not bold} and \\emph{not emphasised} @article{x,", "\\relax"),
    ("x" * 500, "y" * 255),
]


@pytest.mark.parametrize(("title", "byline"), AWKWARD)
def test_awkward_titles_and_bylines_survive_every_format(client, indexed, title, byline):
    """Special characters come back as stored: exactly in CSL-JSON, and in RIS and BibTeX with each run of
    whitespace as one space (RIS has no line breaks in a value; LaTeX reads any whitespace as one space)."""
    article = indexed(lambda: ArticleFactory(title=title, byline=byline, source=byline))
    one_line = " ".join(title.split())

    ris = read_ris(body(client.get(f"/articles/{article.slug}/cite.ris")))
    assert len(ris) == 1
    assert ris[0]["title"] == one_line

    entries = read_bibtex(body(client.get(f"/articles/{article.slug}/cite.bib")))
    assert len(entries) == 1
    assert entries[0]["title"] == one_line
    assert entries[0]["journal"] == " ".join(byline.split())

    items = json.loads(body(client.get(f"/articles/{article.slug}/cite.csl.json")))
    assert (items[0]["title"], items[0]["container-title"]) == (title, byline)
    assert len(render_csl(items)) == 1


# The whole result set -------------------------------------------------------------------------------


def titles_in(extension: str, text: str) -> list[str]:
    if extension == "ris":
        return [reference["title"] for reference in read_ris(text)]
    if extension == "bib":
        return [entry["title"] for entry in read_bibtex(text)]
    return [item["title"] for item in json.loads(text)]


def keys_in(extension: str, text: str) -> list[str]:
    if extension == "ris":
        return [reference["id"] for reference in read_ris(text)]
    if extension == "bib":
        return [entry.key for entry in read_bibtex(text)]
    return [item["id"] for item in json.loads(text)]


@pytest.mark.parametrize("extension", EXTENSIONS)
def test_result_set_export_holds_every_match_in_the_search_order(client, each_engine, indexed, monkeypatch, extension):
    """Twenty-three matches, read in chunks of ten, all come out once, oldest first as asked, with unique keys;
    the page and page size of the search do not limit the export. On each search engine."""
    monkeypatch.setattr(selectors, "EXPORT_CHUNK", 10)
    indexed(
        lambda: [
            dated_article(dt.date(2016, 1, 1) + dt.timedelta(days=n), title=f"Convoy report {n}") for n in range(23)
        ]
    )
    response = client.get(
        f"/search/export.{extension}", {"q": "convoy", "sort": "oldest", "per_page": "10", "page": "2"}
    )
    assert response.streaming
    assert response["Content-Type"] == CONTENT_TYPES[extension]
    assert response["Content-Disposition"] == f'attachment; filename="archive-search.{extension}"'
    text = body(response)
    assert titles_in(extension, text) == [f"Convoy report {n}" for n in range(23)]
    assert len(set(keys_in(extension, text))) == 23


@pytest.mark.parametrize("extension", EXTENSIONS)
def test_result_set_export_follows_the_filters_and_leaves_out_drafts(client, each_engine, world, indexed, extension):
    """A tag and a source filter narrow the export as they narrow the page; a matching draft never appears.
    On each search engine."""

    def make():
        ArticleFactory(title="Drones over Sicily", source="Example Wire", tags=["drones"])
        ArticleFactory(title="Drones over Malta", source="Other Wire", tags=["drones"])
        ArticleFactory(title="Drones untagged", source="Example Wire")
        draft(title="Drones in draft", source="Example Wire", tags=["drones"])

    indexed(make)
    page = client.get("/search/", {"tag": "drones", "source": "Example Wire", "sort": "newest"})
    expected = [row.article.title for row in page.context["page"].rows]
    text = body(
        client.get(f"/search/export.{extension}", {"tag": "drones", "source": "Example Wire", "sort": "newest"})
    )
    assert titles_in(extension, text) == expected == ["Drones over Sicily"]
    everything = body(client.get(f"/search/export.{extension}", {"q": "drones"}))
    assert "Drones in draft" not in titles_in(extension, everything)
    assert SEED_TITLE in titles_in(extension, everything)


def test_key_is_the_same_alone_and_in_a_result_set(client, cited):
    """An article's BibTeX key is the same in its own file and in any export that holds it."""
    alone = read_bibtex(body(client.get(f"/articles/{cited.slug}/cite.bib")))[0].key
    together = [entry.key for entry in read_bibtex(body(client.get("/search/export.bib", {"q": "drones"})))]
    assert alone in together


def test_empty_result_set_gives_empty_files_that_still_parse(client, world):
    """A search that finds nothing exports no references, in a file each reader still accepts."""
    assert read_ris(body(client.get("/search/export.ris", {"q": "nothingmatchesthis"}))) == []
    assert read_bibtex(body(client.get("/search/export.bib", {"q": "nothingmatchesthis"}))) == []
    assert json.loads(body(client.get("/search/export.csl.json", {"q": "nothingmatchesthis"}))) == []


# The pages that offer them ------------------------------------------------------------------------


def test_article_page_offers_the_three_citation_downloads_beside_the_citation_line(client, cited):
    """The Cite box keeps the formatted line, with the permanent address even when the page was reached with
    a query string, and links the RIS, BibTeX and CSL-JSON downloads."""
    html = client.get(f"/articles/{cited.slug}/", {"utm_source": "newsletter"}).content.decode()
    assert f"“{CITED_TITLE}.” International Business Times, 24 February 2016. {CITED_URL}</p>" in html
    for extension, label in (("ris", "RIS"), ("bib", "BibTeX"), ("csl.json", "CSL-JSON")):
        assert f'<a href="/articles/{cited.slug}/cite.{extension}" download>{label}</a>' in html


def test_search_page_offers_the_citation_exports_with_its_parameters(client, world):
    """The result header's download links offer RIS, BibTeX and CSL-JSON for exactly this search."""
    html = client.get("/search/", {"q": "drones", "tag": "airbase"}).content.decode()
    for extension, label in (("ris", "RIS"), ("bib", "BibTeX"), ("csl.json", "CSL-JSON")):
        assert f'<a href="/search/export.{extension}?q=drones&amp;tag=airbase">{label}</a>' in html
