"""The OAI-PMH endpoint: each verb's response valid against the OAI-PMH and oai_dc schemas, every error, paging."""

import datetime as dt
import time

import pytest
from django.core import signing
from django.http import QueryDict
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from archive.models import Article, ArticleStatus, AuthorityStatus, DatePrecision, OaiRecord
from archive.oai.protocol import TOKEN_SALT
from tests.factories import ActorFactory, ArticleFactory, PlaceFactory
from tests.oai_support import NS, dc_values, errors, identifiers, oai_get, token, validated
from tests.public_data import draft

pytestmark = pytest.mark.django_db

BASE = "http://testserver/oai/"


def oai_id(article) -> str:
    return f"oai:archive.example.org:articles/{article.pk}"


@pytest.fixture
def small_pages(settings):
    settings.ARCHIVE_OAI = {**settings.ARCHIVE_OAI, "PAGE_SIZE": 2}


def harvest(client, **arguments) -> list:
    """Every header or record of a list, following the resumption tokens; checks the cursor on each page."""
    verb = arguments["verb"]
    root = oai_get(client, **arguments)
    items, sent = [], 0
    while True:
        page = root.findall(f"oai:{verb}/oai:{'header' if verb == 'ListIdentifiers' else 'record'}", NS)
        items += page
        resumption = token(root)
        if resumption is None:
            return items
        assert int(resumption.get("cursor")) == sent
        sent += len(page)
        if not resumption.text:
            return items
        root = oai_get(client, verb=verb, resumptionToken=resumption.text)


# The six verbs, validated.


def test_identify_describes_the_repository(client, world):
    """Identify names the base URL, persistent deletions, second granularity and the earliest datestamp."""
    root = oai_get(client, verb="Identify")
    identify = root.find("oai:Identify", NS)
    assert identify.findtext("oai:baseURL", namespaces=NS) == BASE
    assert identify.findtext("oai:protocolVersion", namespaces=NS) == "2.0"
    assert identify.findtext("oai:deletedRecord", namespaces=NS) == "persistent"
    assert identify.findtext("oai:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ"
    earliest = OaiRecord.objects.get(article_id=world.article.pk).datestamp
    assert identify.findtext("oai:earliestDatestamp", namespaces=NS) == f"{earliest:%Y-%m-%dT%H:%M:%SZ}"
    assert root.find("oai:request", NS).attrib == {"verb": "Identify"}


def test_list_metadata_formats_offers_dublin_core(client, world):
    """oai_dc is offered for the archive and for one record."""
    for arguments in ({}, {"identifier": oai_id(world.article)}):
        root = oai_get(client, verb="ListMetadataFormats", **arguments)
        assert [node.text for node in root.iterfind(".//oai:metadataPrefix", NS)] == ["oai_dc"]


def test_list_sets_declares_tags_countries_and_sources(client, world):
    """ListSets names every set a record is in, and the three kinds above them."""
    root = oai_get(client, verb="ListSets")
    sets = {
        node.findtext("oai:setSpec", namespaces=NS): node.findtext("oai:setName", namespaces=NS)
        for node in root.iterfind(".//oai:set", NS)
    }
    assert sets == {
        "country": "Places, by country",
        "country:IT": "Country: Italy",
        "country:LY": "Country: Libya",
        "source": "Sources",
        "source:international-business-times": "Source: International Business Times",
        "tag": "Tags",
        "tag:airbase": "Tag: airbase",
        "tag:counter-terrorism": "Tag: counter-terrorism",
        "tag:drones": "Tag: drones",
    }


def test_get_record_gives_the_seed_articles_dublin_core(client, world):
    """Title, creator, subjects (tags, then actors), excerpt, publisher, date, type, URL, language, coverage."""
    root = oai_get(client, verb="GetRecord", identifier=oai_id(world.article), metadataPrefix="oai_dc")
    record = root.find("oai:GetRecord/oai:record", NS)
    header = record.find("oai:header", NS)
    assert header.findtext("oai:identifier", namespaces=NS) == oai_id(world.article)
    assert [node.text for node in header.iterfind("oai:setSpec", NS)] == [
        "country:IT",
        "country:LY",
        "source:international-business-times",
        "tag:airbase",
        "tag:counter-terrorism",
        "tag:drones",
    ]
    assert dc_values(record, "title") == [world.article.title]
    assert dc_values(record, "creator") == ["Staff Writer"]
    assert dc_values(record, "subject") == [
        "airbase",
        "counter-terrorism",
        "drones",
        "Islamic State",
        "Italy",
        "Noureddine Chouchane",
        "United States",
    ]
    (description,) = dc_values(record, "description")
    assert description.startswith("Italian and US officials agreed on Monday") and description.endswith("…")
    assert dc_values(record, "publisher") == ["International Business Times"]
    assert dc_values(record, "date") == ["2016-02-24"]
    assert dc_values(record, "type") == ["Text"]
    assert dc_values(record, "identifier") == ["http://testserver/articles/italy-agrees-us-armed-drones-sigonella/"]
    assert dc_values(record, "language") == ["en"]
    assert dc_values(record, "coverage") == [
        "Italy -- Sicily -- Sigonella Naval Air Station",
        "Libya",
        "Libya -- Sabratha",
    ]
    assert dc_values(record, "relation") == []


@pytest.mark.parametrize(
    ("start", "end", "precision", "expected"),
    [
        (dt.date(2016, 2, 1), dt.date(2016, 2, 29), DatePrecision.MONTH, "2016-02"),
        (dt.date(2016, 1, 1), dt.date(2016, 12, 31), DatePrecision.YEAR, "2016"),
        (dt.date(2016, 2, 22), dt.date(2016, 2, 28), DatePrecision.WEEK, "2016-02-22/2016-02-28"),
    ],
)
def test_the_date_keeps_its_precision(client, start, end, precision, expected):
    """A month is YYYY-MM, a year YYYY, a week its ISO 8601 interval."""
    article = ArticleFactory(published_start=start, published_end=end, published_precision=precision)
    root = oai_get(client, verb="GetRecord", identifier=oai_id(article), metadataPrefix="oai_dc")
    assert dc_values(root, "date") == [expected]


def test_a_flagged_duplicate_relates_to_the_published_original_only(client):
    """dc:relation points at the earlier article it duplicates, unless that one is not public."""
    original = ArticleFactory(slug="original-story")
    copy = ArticleFactory(duplicate_of=original)
    hidden = draft(slug="draft-story")
    copy_of_draft = ArticleFactory(duplicate_of=hidden)
    root = oai_get(client, verb="GetRecord", identifier=oai_id(copy), metadataPrefix="oai_dc")
    assert dc_values(root, "relation") == ["http://testserver/articles/original-story/"]
    root = oai_get(client, verb="GetRecord", identifier=oai_id(copy_of_draft), metadataPrefix="oai_dc")
    assert dc_values(root, "relation") == []


def test_list_records_and_identifiers_give_every_published_article(client, world):
    """Both lists hold the published articles in id order, drafts never; POST works like GET."""
    other = ArticleFactory()
    draft()
    expected = [oai_id(world.article), oai_id(other)]
    assert identifiers(oai_get(client, verb="ListRecords", metadataPrefix="oai_dc")) == expected
    assert identifiers(oai_get(client, verb="ListIdentifiers", metadataPrefix="oai_dc")) == expected
    posted = client.post("/oai/", {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"})
    assert identifiers(validated(posted.content)) == expected


def test_a_deleted_record_has_a_header_and_no_metadata(client, world):
    """A withdrawn article is listed and got as a deleted header, valid against the schema."""
    world.article.status = ArticleStatus.WITHDRAWN
    world.article.save()
    for root in (
        oai_get(client, verb="GetRecord", identifier=oai_id(world.article), metadataPrefix="oai_dc"),
        oai_get(client, verb="ListRecords", metadataPrefix="oai_dc"),
    ):
        (record,) = root.iterfind(".//oai:record", NS)
        assert record.find("oai:header", NS).get("status") == "deleted"
        assert record.find("oai:metadata", NS) is None
    root = oai_get(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="tag:drones")
    assert root.find(".//oai:header", NS).get("status") == "deleted"


def test_characters_xml_cannot_carry_are_left_out(client):
    """A control character from a wire feed does not break the response."""
    article = ArticleFactory(title="Oil \x02prices\x1b rise", body="Crude \x07rose\x0b today.")
    root = oai_get(client, verb="GetRecord", identifier=oai_id(article), metadataPrefix="oai_dc")
    assert dc_values(root, "title") == ["Oil prices rise"]
    assert dc_values(root, "description") == ["Crude rose today."]


# from, until and sets.


def test_from_and_until_select_on_the_datestamp_inclusively(client):
    """Second granularity is inclusive at both ends; a day covers the whole day."""
    early, late = ArticleFactory(), ArticleFactory()
    OaiRecord.objects.filter(article_id=early.pk).update(
        datestamp=dt.datetime(2024, 3, 1, 10, 0, 0, 500, tzinfo=dt.UTC)
    )
    OaiRecord.objects.filter(article_id=late.pk).update(datestamp=dt.datetime(2024, 3, 2, 9, 30, tzinfo=dt.UTC))

    def listed(**window):
        return identifiers(oai_get(client, verb="ListIdentifiers", metadataPrefix="oai_dc", **window))

    assert listed(from_="2024-03-01T10:00:00Z", until="2024-03-01T10:00:00Z") == [oai_id(early)]
    assert listed(from_="2024-03-01T10:00:01Z") == [oai_id(late)]
    assert listed(until="2024-03-01") == [oai_id(early)]
    assert listed(from_="2024-03-02", until="2024-03-02") == [oai_id(late)]
    assert listed(from_="2024-03-01", until="2024-03-02") == [oai_id(early), oai_id(late)]
    assert listed(until="9999-12-31") == listed(until="9999-12-31T23:59:59Z") == [oai_id(early), oai_id(late)]
    root = oai_get(client, verb="ListIdentifiers", metadataPrefix="oai_dc", from_="2024-03-01T10:00:01Z")
    assert root.find("oai:request", NS).get("from") == "2024-03-01T10:00:01Z"


def test_a_set_selects_its_records_and_a_kind_selects_all_of_its_sets(client, world):
    """set=tag:drones gives the tagged article; set=country gives every article in some country."""
    untagged = ArticleFactory(source="Other Wire")
    in_malta = ArticleFactory(places=[PlaceFactory(name="Malta", type="country", country_code="MT")])

    def listed(spec):
        return identifiers(oai_get(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set=spec))

    assert listed("tag:drones") == [oai_id(world.article)]
    assert listed("country") == [oai_id(world.article), oai_id(in_malta)]
    assert listed("source:other-wire") == [oai_id(untagged)]


# Errors.


@pytest.mark.parametrize(
    ("query", "code", "message"),
    [
        ({}, "badVerb", "The verb argument is missing."),
        ({"verb": ["Identify", "Identify"]}, "badVerb", "The verb argument is repeated."),
        (
            {"verb": "ListEverything"},
            "badVerb",
            "'ListEverything' is not an OAI-PMH verb; the verbs are GetRecord, Identify, ListIdentifiers, "
            "ListMetadataFormats, ListRecords, ListSets.",
        ),
        ({"verb": "Identify", "set": "tag"}, "badArgument", "Identify takes no 'set' argument."),
        ({"verb": "ListRecords"}, "badArgument", "ListRecords needs the metadataPrefix argument."),
        ({"verb": "GetRecord"}, "badArgument", "GetRecord needs the identifier and metadataPrefix arguments."),
        (
            {"verb": "ListRecords", "metadataPrefix": ["oai_dc", "oai_dc"]},
            "badArgument",
            "The 'metadataPrefix' argument is repeated.",
        ),
        (
            {"verb": "ListRecords", "resumptionToken": "x", "metadataPrefix": "oai_dc"},
            "badArgument",
            "The resumptionToken argument must stand alone, but metadataPrefix came with it.",
        ),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-3-1"},
            "badArgument",
            "The from argument '2024-3-1' is not a UTC date as YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ.",
        ),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "until": "2024-03-01T10:00:00+01:00"},
            "badArgument",
            "The until argument '2024-03-01T10:00:00+01:00' is not a UTC date as YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ.",
        ),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-02-30"},
            "badArgument",
            "The from argument '2024-02-30' is not a UTC date as YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ.",
        ),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-03-01", "until": "2024-03-02T00:00:00Z"},
            "badArgument",
            "The from and until arguments must have the same granularity.",
        ),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-03-02", "until": "2024-03-01"},
            "badArgument",
            "The from argument is later than the until argument.",
        ),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "tag:two words"},
            "badArgument",
            "'tag:two words' is not a set spec; ListSets names the sets.",
        ),
        (
            {"verb": "ListRecords", "metadataPrefix": "marc 21"},
            "badArgument",
            "'marc 21' is not a metadata prefix; ListMetadataFormats names them.",
        ),
        (
            {"verb": "ListRecords", "metadataPrefix": "marc21"},
            "cannotDisseminateFormat",
            "The metadata format 'marc21' is not offered; ListMetadataFormats names those that are.",
        ),
        (
            {"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "oai:archive.example.org:articles/999999"},
            "idDoesNotExist",
            "This archive has no record 'oai:archive.example.org:articles/999999'.",
        ),
        (
            {"verb": "ListMetadataFormats", "identifier": "oai:elsewhere.org:articles/1"},
            "idDoesNotExist",
            "This archive has no record 'oai:elsewhere.org:articles/1'.",
        ),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2999-01-01"},
            "noRecordsMatch",
            "No record matches these from, until and set arguments.",
        ),
        (
            {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "tag:nothing-here"},
            "noRecordsMatch",
            "No record matches these from, until and set arguments.",
        ),
        (
            {"verb": "ListRecords", "resumptionToken": "forged"},
            "badResumptionToken",
            "This resumption token was not issued by this archive.",
        ),
    ],
)
def test_each_error_is_named_as_the_protocol_names_it(client, world, query, code, message):
    """A wrong request gets the protocol's error code and a message saying what to change, in a valid response."""
    root = validated(client.get("/oai/", query).content)
    assert errors(root) == [(code, message)]
    request = root.find("oai:request", NS)
    assert request.text == BASE
    if code in {"badVerb", "badArgument"}:
        assert request.attrib == {}, "a refused request's arguments are not echoed"


def test_a_draft_does_not_exist_for_harvesters(client):
    """A draft's identifier is unknown, as if the article did not exist."""
    hidden = draft()
    root = oai_get(client, verb="GetRecord", identifier=oai_id(hidden), metadataPrefix="oai_dc")
    assert errors(root) == [("idDoesNotExist", f"This archive has no record '{oai_id(hidden)}'.")]


def test_an_empty_archive_has_no_set_hierarchy(client):
    """Before any article is published there are no sets: ListSets and a set argument say so."""
    draft()
    message = "This archive has no sets yet: no article has been published."
    assert errors(oai_get(client, verb="ListSets")) == [("noSetHierarchy", message)]
    root = oai_get(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="tag:drones")
    assert errors(root) == [("noSetHierarchy", message)]
    assert errors(oai_get(client, verb="ListRecords", metadataPrefix="oai_dc")) == [
        ("noRecordsMatch", "No record matches these from, until and set arguments.")
    ]


def test_a_token_is_refused_once_expired_or_for_another_list(client, world, small_pages, monkeypatch):
    """A token past its lifetime, or given to another verb, is a badResumptionToken."""
    for _ in range(2):
        ArticleFactory()
    resumption = token(oai_get(client, verb="ListRecords", metadataPrefix="oai_dc"))
    root = oai_get(client, verb="ListIdentifiers", resumptionToken=resumption.text)
    assert errors(root) == [("badResumptionToken", "This resumption token does not continue a ListIdentifiers list.")]
    issued = time.time() - 25 * 3600
    monkeypatch.setattr(signing.time, "time", lambda: issued)
    old = token(oai_get(client, verb="ListRecords", metadataPrefix="oai_dc"))
    monkeypatch.undo()
    root = oai_get(client, verb="ListRecords", resumptionToken=old.text)
    assert errors(root) == [("badResumptionToken", "This resumption token has expired (tokens last 24 hours).")]


def test_a_tampered_token_is_refused(client, world, small_pages):
    """The token is signed: changing the position it carries makes it a forgery."""
    for _ in range(2):
        ArticleFactory()
    text = token(oai_get(client, verb="ListRecords", metadataPrefix="oai_dc")).text
    state = signing.loads(text, salt=TOKEN_SALT)
    forged = signing.dumps({**state, "a": 0}, salt=TOKEN_SALT + "x", compress=True)
    root = oai_get(client, verb="ListRecords", resumptionToken=forged)
    assert errors(root) == [("badResumptionToken", "This resumption token was not issued by this archive.")]


# Paging while the archive changes.


def test_pages_carry_the_cursor_size_and_expiry_and_end_with_an_empty_token(client, small_pages):
    """Each page's token has completeListSize, cursor and expirationDate; the last page's token is empty."""
    articles = [ArticleFactory() for _ in range(5)]
    root = oai_get(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    first = token(root)
    assert first.get("completeListSize") == "5" and first.get("cursor") == "0" and first.get("expirationDate")
    records = harvest(client, verb="ListRecords", metadataPrefix="oai_dc")
    assert [r.findtext("oai:header/oai:identifier", namespaces=NS) for r in records] == [oai_id(a) for a in articles]


def test_one_page_lists_have_no_token(client, world):
    """A list that fits in one response has no resumptionToken at all."""
    assert token(oai_get(client, verb="ListRecords", metadataPrefix="oai_dc")) is None


def test_changes_between_pages_neither_skip_nor_repeat_a_record(
    client, small_pages, django_capture_on_commit_callbacks
):
    """Edits, a withdrawal, a deletion and publications between pages: each record comes once, changed ones as
    they are now, and those passed already come in the next harvest from the first page's time."""
    old_draft = draft(tags=["drones"])
    articles = [ArticleFactory(tags=["drones"]) for _ in range(8)]
    first = oai_get(client, verb="ListRecords", metadataPrefix="oai_dc", set="tag:drones")
    started = first.findtext("oai:responseDate", namespaces=NS)
    seen = list(first.iterfind(".//oai:record", NS))
    assert len(seen) == 2

    with django_capture_on_commit_callbacks(execute=True):
        passed, ahead, withdrawn, deleted = articles[0], articles[4], articles[5], articles[6]
        passed.title = "Edited after it was sent"
        passed.save()
        ahead.title = "Edited before it was sent"
        ahead.save()
        withdrawn.status = ArticleStatus.WITHDRAWN
        withdrawn.save()
        deleted_id = deleted.pk
        deleted.delete()
        old_draft.status = ArticleStatus.PUBLISHED
        old_draft.save()
        newcomer = ArticleFactory(tags=["drones"])
        articles[7].tags.remove("drones")

    root = oai_get(client, verb="ListRecords", resumptionToken=token(first).text)
    while True:
        seen += root.iterfind(".//oai:record", NS)
        if not token(root).text:
            break
        root = oai_get(client, verb="ListRecords", resumptionToken=token(root).text)

    by_id = {r.findtext("oai:header/oai:identifier", namespaces=NS): r for r in seen}
    assert len(by_id) == len(seen), "no record is sent twice"
    expected = [*articles[:7], newcomer]
    assert list(by_id) == [oai_id(a) for a in expected[:6]] + [
        f"oai:archive.example.org:articles/{deleted_id}",
        oai_id(newcomer),
    ]
    assert dc_values(by_id[oai_id(ahead)], "title") == ["Edited before it was sent"]
    assert by_id[oai_id(withdrawn)].find("oai:header", NS).get("status") == "deleted"
    assert by_id[f"oai:archive.example.org:articles/{deleted_id}"].find("oai:header", NS).get("status") == "deleted"

    later = identifiers(
        oai_get(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="tag:drones", from_=started)
    )
    assert oai_id(passed) in later and oai_id(old_draft) in later


def test_a_page_does_not_print_a_record_withdrawn_while_it_was_read(client, world):
    """A record whose article is not published by the time its metadata is read goes out as deleted."""
    Article.objects.filter(pk=world.article.pk).update(status=ArticleStatus.WITHDRAWN)
    root = oai_get(client, verb="ListRecords", metadataPrefix="oai_dc")
    (record,) = root.iterfind(".//oai:record", NS)
    assert record.find("oai:header", NS).get("status") == "deleted"
    assert record.find("oai:metadata", NS) is None


def test_unpublished_access_points_stay_out_of_the_record(client):
    """A draft actor is no subject and a draft place no coverage; a draft place above a published one is skipped."""
    region = PlaceFactory(name="Secret region", status=AuthorityStatus.DRAFT)
    town = PlaceFactory(name="Published town", parent=region)
    hidden_place = PlaceFactory(name="Hidden village", status=AuthorityStatus.DRAFT)
    hidden_actor = ActorFactory(name="Unconfirmed militia", status=AuthorityStatus.DRAFT)
    article = ArticleFactory(places=[town, hidden_place], actors=[hidden_actor], tags=["raids"])
    root = oai_get(client, verb="GetRecord", identifier=oai_id(article), metadataPrefix="oai_dc")
    assert dc_values(root, "coverage") == ["Published town"]
    assert dc_values(root, "subject") == ["raids"]


# Whatever a harvester sends.

NAMES = st.sampled_from(["verb", "metadataPrefix", "identifier", "from", "until", "set", "resumptionToken", "x"])
VALUES = st.one_of(
    st.sampled_from(
        [
            *("Identify", "ListSets", "ListRecords", "ListIdentifiers", "GetRecord", "ListMetadataFormats"),
            *("oai_dc", "marc21", "2016-02-24", "2016-02-24T10:00:00Z", "9999-12-31", "0000-01-01", "2016-13-45"),
            *("tag:drones", "country", "country:IT", "tag:", ":", "oai:archive.example.org:articles/1"),
            *("oai:archive.example.org:articles/-1", "oai:archive.example.org:articles/99999999999999999999"),
        ]
    ),
    st.text(max_size=40),
)


@pytest.mark.django_db
@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=st.lists(st.tuples(NAMES, VALUES), max_size=5))
def test_any_request_gets_a_valid_answer(client, world, pairs):
    """Any mix of arguments and values, control characters and all, gets a 200 the OAI-PMH schema accepts."""
    query = QueryDict(mutable=True)
    for name, value in pairs:
        query.appendlist(name, value)
    response = client.get("/oai/?" + query.urlencode())
    assert response.status_code == 200
    validated(response.content)
