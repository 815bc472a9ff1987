"""What the extractor proposes for real text, with only the gazetteer and the actor seeds loaded."""

import datetime as dt

import pytest

from archive.extraction.authorities import AuthorityIndex
from archive.extraction.pipeline import extract
from archive.models import Actor, ActorType, AuthorityStatus, DatePrecision, Place, PlaceType, SuggestionKind
from tests.extraction_support import authorities, seed_record  # noqa: F401 (fixture)
from tests.factories import ActorFactory, ActorNameFactory, PlaceFactory, PlaceNameFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("authorities")]


def _run(body: str, *, title: str = "", dateline: str = "", published: dt.date | None = dt.date(2016, 2, 24)):
    return extract(title=title, body=body, dateline=dateline, published=published)


def _actors(proposals, threshold=0.3) -> set[str]:
    ids = {p.actor_id for p in proposals if p.kind == SuggestionKind.ACTOR and p.confidence >= threshold}
    return set(Actor.objects.filter(pk__in=ids).values_list("name", flat=True))


def _places(proposals, threshold=0.3) -> dict[str, Place]:
    ids = {p.place_id for p in proposals if p.kind == SuggestionKind.PLACE and p.confidence >= threshold}
    return {place.name: place for place in Place.objects.filter(pk__in=ids)}


def _candidates(proposals, kind) -> dict[str, object]:
    return {p.candidate_name: p for p in proposals if p.kind == kind}


@pytest.fixture
def seed():
    record = seed_record()
    proposals = extract(title=record.title, body=record.body, published=record.published.start)
    return record, proposals


def test_seed_article_known_actors(seed):
    """The seed article names Italy, the United States, the Islamic State and NATO."""
    _, proposals = seed
    assert {"Italy", "United States", "Islamic State", "North Atlantic Treaty Organization"} <= _actors(proposals)


def test_islamic_state_found_from_isis_and_its_name(seed):
    """'Isis' (written as a word) and 'Islamic State' are both evidence for the Islamic State."""
    _, proposals = seed
    islamic_state = Actor.objects.get(name="Islamic State")
    proposal = next(p for p in proposals if p.actor_id == islamic_state.pk)
    words = {item["text"] for item in proposal.evidence}
    assert {"Isis", "Islamic State"} <= words


def test_seed_article_new_person(seed):
    """Noureddine Chouchane is not in the authority records: he is proposed as a new person.

    He is named once, in the third paragraph: proposed for review, with the confidence of a passing mention.
    """
    record, proposals = seed
    people = _candidates(proposals, SuggestionKind.NEW_PERSON)
    chouchane = people["Noureddine Chouchane"]
    evidence = chouchane.evidence[0]
    assert record.body[evidence["start"] : evidence["end"]] == "Noureddine Chouchane"
    assert chouchane.confidence >= 0.3


def test_seed_article_places(seed):
    """Libya, Tunisia and Sabratha come from the gazetteer; Sicily and Sigonella are proposed as new places."""
    _, proposals = seed
    places = _places(proposals)
    assert {"Libya", "Tunisia", "Italy"} <= set(places)
    sabratha = next(p for p in places.values() if "Sabratha" in p.all_names())
    assert sabratha.parent.name == "Libya"
    assert {"Sicily", "Sigonella"} <= set(_candidates(proposals, SuggestionKind.NEW_PLACE))


def test_seed_article_dates(seed):
    """The published date and 'last week' (the week before the published date) are proposed as ranges."""
    _, proposals = seed
    dates = {(p.date_start, p.date_end, p.date_precision): p for p in proposals if p.kind == SuggestionKind.DATE}
    assert (dt.date(2016, 2, 24), dt.date(2016, 2, 24), DatePrecision.DAY) in dates
    last_week = dates[(dt.date(2016, 2, 15), dt.date(2016, 2, 21), DatePrecision.WEEK)]
    assert last_week.evidence[0]["text"] == "last week"


def test_every_evidence_points_at_its_words(seed):
    """Each piece of evidence gives the field and the offsets of exactly the words it quotes."""
    record, proposals = seed
    fields = {"title": record.title, "body": record.body}
    for proposal in proposals:
        for item in proposal.evidence:
            if item["field"] in fields:
                assert fields[item["field"]][item["start"] : item["end"]] == item["text"]


def test_pronoun_us_is_not_the_country():
    """'us' the pronoun never suggests the United States; 'US' does."""
    assert "United States" not in _actors(_run("The minister told us that the talks would resume."))
    assert "United States" in _actors(_run("US officials said the talks would resume."))


def test_may_the_person_is_not_a_date():
    """'Theresa May' is a person, not the month; 'in May' is the month."""
    proposals = _run("Prime Minister Theresa May said the talks would resume.")
    assert not [p for p in proposals if p.kind == SuggestionKind.DATE and p.date_start.month == 5]
    assert "Theresa May" in _candidates(proposals, SuggestionKind.NEW_PERSON)
    dated = _run("The talks will resume in May, officials said.")
    assert (dt.date(2016, 5, 1), dt.date(2016, 5, 31)) in {
        (p.date_start, p.date_end) for p in dated if p.kind == SuggestionKind.DATE
    }


def test_georgia_the_us_state_next_to_atlanta():
    """'Atlanta, Georgia' is the US state; 'Tbilisi, Georgia' is the country."""
    us_story = _places(_run("The company is based in Atlanta, Georgia, where it employs 2,000 people."))
    assert us_story["Georgia"].type == PlaceType.REGION
    assert "United States" in us_story
    caucasus = _places(_run("Protesters gathered in Tbilisi, Georgia, on Monday."))
    assert caucasus["Georgia"].type == PlaceType.COUNTRY


def test_jordan_the_person_is_not_the_country():
    """'Michael Jordan' is a person; 'King Abdullah of Jordan' names the country."""
    proposals = _run("Michael Jordan scored 30 points in Chicago on Monday.")
    assert "Jordan" not in _places(proposals)
    assert "Jordan" not in _actors(proposals)
    assert "Michael Jordan" in _candidates(proposals, SuggestionKind.NEW_PERSON)
    assert "Jordan" in _places(_run("King Abdullah of Jordan met the envoy in Amman."))


def test_turkey_the_bird_is_not_the_country():
    """Case matters for names: 'turkey' on a menu is not Turkey."""
    assert "Turkey" not in _places(_run("They served roast turkey at the embassy dinner."))


def test_demonym_suggests_the_country():
    """'Italian officials' suggests Italy, with 'Italian' as its evidence."""
    proposals = _run("Italian officials declined to comment.")
    italy = Place.objects.get(name="Italy", type=PlaceType.COUNTRY)
    proposal = next(p for p in proposals if p.place_id == italy.pk)
    assert proposal.evidence[0]["text"] == "Italian"


def test_dateline_city_and_its_country():
    """A dateline 'SALVADOR, Feb 26' suggests the city, its country and the date."""
    proposals = _run("Coffee exports rose.", dateline="SALVADOR, Feb 26 -", published=dt.date(1987, 2, 26))
    places = _places(proposals, threshold=0.9)
    assert places["Salvador"].type == PlaceType.CITY
    assert "Brazil" in places
    assert dt.date(1987, 2, 26) in {p.date_start for p in proposals if p.kind == SuggestionKind.DATE}


def test_absolute_and_relative_dates():
    """'Feb 24, 2016' is a day; 'on Monday' is the Monday before a Wednesday story."""
    proposals = _run("The deal signed on Feb 24, 2016 was announced on Monday.", published=dt.date(2016, 2, 24))
    days = {(p.date_start, p.evidence[0]["text"]) for p in proposals if p.kind == SuggestionKind.DATE}
    assert (dt.date(2016, 2, 24), "Feb 24, 2016") in days
    assert (dt.date(2016, 2, 22), "on Monday") in days


def test_organisation_candidate():
    """An unknown name ending in an organisation word is proposed as a new organisation."""
    proposals = _run("The state-run National Oil Corporation said output fell.")
    assert "National Oil Corporation" in _candidates(proposals, SuggestionKind.NEW_ORGANISATION)


def test_headline_in_capitals_needs_distinctive_names():
    """In an all-capitals headline 'STOCK SPLIT' is not Split, the Croatian city; 'ROME' is Rome."""
    proposals = _run("", title="CHAMPION PRODUCTS APPROVES STOCK SPLIT IN ROME")
    assert "Split" not in _places(proposals, threshold=0)
    assert "Rome" in _places(proposals)


def test_shared_acronym_goes_to_the_organisation_named_in_full():
    """'ADB' can be either development bank: the one the story names in full is the one suggested."""
    african = Actor.objects.get(name="African Development Bank")
    ActorNameFactory(actor=african, name="ADB")
    proposals = _run("The ADB approved a loan to Manila, the Asian Development Bank said on Monday.")
    assert "Asian Development Bank" in _actors(proposals)
    assert "African Development Bank" not in _actors(proposals, threshold=0)


def _person(name: str, *, description: str = "") -> Actor:
    return ActorFactory(name=name, type=ActorType.PERSON, description=description)


def test_name_broken_across_a_line_is_one_name():
    """Wire copy wraps lines inside names: 'Richard von' + line break + 'Weizsaecker' is still the president."""
    _person("Richard von Weizsaecker")
    proposals = _run("West German President Richard von\nWeizsaecker met bankers in Buenos Aires today.")
    assert "Richard von Weizsaecker" in _actors(proposals)
    assert "Richard" not in _candidates(proposals, SuggestionKind.NEW_PERSON)


def test_name_particle_in_either_case():
    """A record 'Du Plessis' is found in 'Barend du Plessis', where the particle is written small."""
    du_plessis = _person("Du Plessis")
    proposals = _run("Finance Minister Barend du Plessis said the debt accord was signed.")
    proposal = next(p for p in proposals if p.actor_id == du_plessis.pk)
    assert proposal.evidence[0]["text"] == "du Plessis"


def test_known_person_in_the_first_sentence_matters_more_than_later():
    """Named once in the first sentence (past 'U.S.'), a person is suggested; named once further on, not."""
    _person("Paul Volcker")
    first = "The U.S. economy will grow this year, Federal Reserve Chairman Paul Volcker said. "
    filler = "Analysts expect rates to hold. Bond prices were steady in quiet trading. " * 3
    assert "Paul Volcker" in _actors(_run(first + filler), threshold=0.6)
    later = "The U.S. economy will grow this year, analysts said. " + filler + "Paul Volcker has said so too."
    assert "Paul Volcker" not in _actors(_run(later), threshold=0.6)


def test_new_person_in_the_lead_is_suggested_one_in_passing_is_not():
    """A person the records do not know, introduced in the lead, is the subject; one named once later is not."""
    lead = _run("Finance Minister Mario Brodersohn said the country would pay. Bankers welcomed the plan.")
    assert _candidates(lead, SuggestionKind.NEW_PERSON)["Mario Brodersohn"].confidence >= 0.6
    filler = "Bankers welcomed the plan. Bond prices were steady in quiet trading. " * 3
    passing = _run(filler + "Finance Minister Mario Brodersohn was also there.")
    assert _candidates(passing, SuggestionKind.NEW_PERSON)["Mario Brodersohn"].confidence < 0.6


def test_new_person_mentioned_again_by_surname():
    """'Mario Brodersohn ... Brodersohn said': the surname counts as another mention of the new person."""
    filler = "Bankers welcomed the plan. Bond prices were steady in quiet trading. " * 3
    proposals = _run(
        filler + "Finance Minister Mario Brodersohn spoke. Brodersohn said talks went well. Brodersohn left."
    )
    brodersohn = _candidates(proposals, SuggestionKind.NEW_PERSON)["Mario Brodersohn"]
    assert brodersohn.mentions == 3
    assert [item["text"] for item in brodersohn.evidence] == ["Mario Brodersohn", "Brodersohn", "Brodersohn"]
    assert brodersohn.confidence >= 0.6


def test_headline_opening_with_a_surname():
    """A headline opens with its subject: 'Sumita says ...' is the governor, although a sentence starts there."""
    _person("Satoshi Sumita")
    proposals = _run("The central bank will keep rates steady.", title="Sumita says yen will stay stable")
    assert "Satoshi Sumita" in _actors(proposals, threshold=0.6)


def test_headline_surname_the_story_never_repeats():
    """'MCDONNELL DOUGLAS' in a headline is not Roger Douglas when the story never names him; 'DOUGLAS SAYS' is."""
    _person("Roger Douglas")
    company = _run("McDonnell Douglas Corp said it won a large order.", title="MCDONNELL DOUGLAS WINS ORDER")
    assert "Roger Douglas" not in _actors(company, threshold=0.6)
    minister = _run(
        "Finance Minister Roger Douglas said the deficit is on course.", title="DOUGLAS SAYS DEFICIT ON COURSE"
    )
    assert "Roger Douglas" in _actors(minister, threshold=0.6)


def test_shared_surname_goes_to_the_person_the_story_describes():
    """Two people named Baker: 'TREASURY'S BAKER' is the one whose description says Treasury Secretary."""
    _person("James Baker", description="Treasury Secretary")
    _person("Howard Baker", description="White House Chief of Staff")
    proposals = _run("", title="TREASURY'S BAKER SAYS DOLLAR FALL HAS GONE FAR ENOUGH")
    assert "James Baker" in _actors(proposals, threshold=0.6)
    assert "Howard Baker" not in _actors(proposals, threshold=0)
    undecided = _run("", title="BAKER SAYS TALKS WILL GO ON")
    assert not {"James Baker", "Howard Baker"} & _actors(undecided, threshold=0)


def test_first_name_of_a_known_person_is_not_a_new_person():
    """'Barend' before a known 'du Plessis' is his first name, not a new person of its own."""
    _person("Du Plessis")
    proposals = _run("Finance Minister Barend du Plessis said the debt accord was signed.")
    assert "Barend" not in _candidates(proposals, SuggestionKind.NEW_PERSON)


def test_plan_named_after_a_person_is_not_the_person():
    """'the Baker plan' speaks of a debt plan, as 'the Reagan administration' of a government."""
    _person("James Baker")
    proposals = _run("Manila said its new bonds will revive the Baker plan for debtor nations.")
    assert "James Baker" not in _actors(proposals, threshold=0)


def test_honorifics_in_other_languages():
    """'Herr Jordan' and 'Senor Jordan' are people, as 'Mr Jordan' is, not the country."""
    for honorific in ("Herr", "Senor", "Monsieur"):
        proposals = _run(f"{honorific} Jordan said the talks would resume.")
        assert "Jordan" not in _places(proposals)


def test_commissioner_is_a_title():
    """'Commissioner Frans Andriessen' proposes Frans Andriessen, the title left out."""
    proposals = _run("EC Farm Commissioner Frans Andriessen said the plan would cut surpluses.")
    assert "Frans Andriessen" in _candidates(proposals, SuggestionKind.NEW_PERSON)


def test_first_name_and_surname_on_two_lines():
    """'Michael' at a line's end and 'Jordan' on the next are one man's names, as on one line, not the country."""
    for gap in (" ", "\n"):
        proposals = _run(f"The basketball player Michael{gap}Jordan said he would play on Sunday.")
        assert "Jordan" not in _places(proposals, threshold=0)
        assert "Michael Jordan" in {
            " ".join(name.split()) for name in _candidates(proposals, SuggestionKind.NEW_PERSON)
        }


def test_surname_inside_a_company_name_is_not_the_person():
    """'Wilson Foods Corp', 'Kaufman and Broad Inc', 'Adams-Russell Electronics' are companies, not the people."""
    _person("Michael Wilson")
    _person("Kaufman")
    _person("Russell")
    companies = _run(
        "Wilson Foods Corp said it paid its creditors. Kaufman and Broad Inc sold its stake. "
        "Adams-Russell Electronics Co bought a maker of circuit packages. Wilson Brothers sold its shirt units."
    )
    assert not {"Michael Wilson", "Kaufman", "Russell"} & _actors(companies, threshold=0)
    people = _run("Finance Minister Michael Wilson said Kaufman and Russell will both join the board.")
    assert {"Michael Wilson", "Kaufman", "Russell"} <= _actors(people, threshold=0)


def test_company_named_without_its_suffix_is_not_a_new_person():
    """'Harland Whitcombe said', where the story also writes 'Harland Whitcombe Corp', is the company speaking."""
    company = _run("Harland Whitcombe Corp won an order for jets. Harland Whitcombe said deliveries start in May.")
    assert "Harland Whitcombe" not in _candidates(company, SuggestionKind.NEW_PERSON)
    person = _run("Harland Whitcombe said deliveries of the jets will start in May.")
    assert "Harland Whitcombe" in _candidates(person, SuggestionKind.NEW_PERSON)


def test_speech_verb_after_an_apposition():
    """'the head of the exporters' association, Nikos Karamanos, said' is a person speaking, as 'Karamanos said' is."""
    proposals = _run("Exports will rise this year, the head of the exporters' association, Nikos Karamanos, said.")
    assert _candidates(proposals, SuggestionKind.NEW_PERSON)["Nikos Karamanos"].evidence[0]["cue"] == (
        "followed by a speech verb"
    )


def test_person_named_only_by_surname_needs_more_mentions():
    """Three mentions of 'Kohl' after the lead, never 'Helmut Kohl', are a leader in passing; in full they count."""
    _person("Helmut Kohl")
    lead = "Parliament passed the budget bill on Friday after a long debate. "
    later = "Kohl had backed the bill. The opposition said Kohl ignored the deficit. Kohl did not reply."
    assert "Helmut Kohl" not in _actors(_run(lead + later), threshold=0.6)
    assert "Helmut Kohl" in _actors(_run(lead + "Chancellor Helmut " + later), threshold=0.6)
    four = lead + later + " Kohl later left for Paris."
    assert "Helmut Kohl" in _actors(_run(four), threshold=0.6)


def test_person_the_story_opens_with_is_central():
    """'President Reagan announced ...' opens the story with its subject; the same name later in the lead does not."""
    _person("Ronald Reagan")
    opens = _run("President Reagan announced that the tariffs would end. Officials welcomed the move.")
    assert "Ronald Reagan" in _actors(opens, threshold=0.6)
    later = _run("The tariffs will end, officials said after meeting President Reagan. Traders welcomed the move.")
    assert "Ronald Reagan" not in _actors(later, threshold=0.6)


def test_aide_named_after_a_person_is_not_the_person():
    """'REAGAN AIDE' and 'a Reagan aide said' speak of the aide, as 'the Reagan administration' of a government."""
    _person("Ronald Reagan")
    proposals = _run("A Reagan aide said the talks would go on.", title="REAGAN AIDE OPTIMISTIC ON VETO")
    assert "Ronald Reagan" not in _actors(proposals, threshold=0)


def test_surname_before_a_stock_symbol_or_an_organisation_word_is_not_the_person():
    """'Baker <BKO>' is a company with its stock symbol; in a capitals headline 'THATCHER PARTY' is a party."""
    _person("James Baker")
    _person("Margaret Thatcher")
    company = _run("Baker <BKO> said it would sell its pump unit.")
    assert "James Baker" not in _actors(company, threshold=0)
    party = _run("The Conservatives lead the polls by nine points.", title="THATCHER PARTY HAS NINE POINT POLL LEAD")
    assert "Margaret Thatcher" not in _actors(party, threshold=0)


# What an archivist can trust: no known name, demonym, compound or common noun proposed as a new record.

EMPTY_RECORDS = AuthorityIndex({}, {}, [])


def _new_names(proposals) -> set[tuple[str, str]]:
    return {(p.kind, p.candidate_name) for p in proposals if p.candidate_name}


def test_demonym_names_a_country_whose_records_lack_it():
    """'Spanish officials' names Spain when its place and state were made by hand, with no demonym recorded."""
    spain = PlaceFactory(name="Spain", type=PlaceType.COUNTRY, country_code="ES")
    state = ActorFactory(name="Spain", type=ActorType.STATE)
    proposals = _run("Spanish officials agreed on Monday to extend the patrols.")
    assert spain.name in _places(proposals)
    assert state.name in _actors(proposals)
    found = next(p for p in proposals if p.place_id == spain.pk)
    assert [item["text"] for item in found.evidence] == ["Spanish"]


def test_demonym_is_never_a_new_place():
    """'the Italian base' is an Italian base, not a place called 'Italian', even with no record of Italy."""
    proposals = extract(title="", body="Drones will fly from the Italian base at Sigonella.", index=EMPTY_RECORDS)
    assert (SuggestionKind.NEW_PLACE, "Italian") not in _new_names(proposals)


def test_compound_names_the_actor():
    """'Isis-controlled areas' is evidence for the Islamic State, not a new place called 'Isis-controlled'."""
    proposals = _run("Special forces protect the coalition on the ground in Isis-controlled areas.")
    islamic_state = Actor.objects.get(name="Islamic State")
    found = next(p for p in proposals if p.actor_id == islamic_state.pk)
    assert [item["text"] for item in found.evidence] == ["Isis"]
    assert _new_names(proposals) == set()


def test_compound_is_never_a_new_name():
    """With no record to point to, 'Isis-controlled' and 'Tokyo-based' propose nothing at all."""
    body = "Forces advanced in Isis-controlled areas, a Tokyo-based analyst said."
    assert _new_names(extract(title="", body=body, index=EMPTY_RECORDS)) == set()


def test_common_noun_before_a_group_word_is_not_a_person():
    """'Islamic State Militant group': 'Militant' after the word 'State' describes a group, it names no one."""
    body = "Officials met as Islamic State Militant group has been gaining control over Libya."
    assert _new_names(extract(title="", body=body, index=EMPTY_RECORDS)) == set()


def test_capitalised_words_after_an_article_are_not_a_person():
    """'an Islamist Militant said' quotes someone unnamed: the words after 'an' are no person's name."""
    body = "A witness told police that an Islamist Militant said the group would strike again."
    assert (SuggestionKind.NEW_PERSON, "Islamist Militant") not in _new_names(
        extract(title="", body=body, index=EMPTY_RECORDS)
    )
    named = "A witness told police that Karim Benali said the group would strike again."
    assert (SuggestionKind.NEW_PERSON, "Karim Benali") in _new_names(extract(title="", body=named, index=EMPTY_RECORDS))


def test_known_name_in_another_case_is_not_new():
    """'Eta' is the record ETA written as a word: too short to be matched as the acronym, never a new place."""
    ActorFactory(name="ETA", type=ActorType.ARMED_GROUP)
    proposals = _run("Police searched houses in Eta strongholds on Monday.")
    assert _new_names(proposals) == set()


def test_draft_record_is_proposed_as_the_record():
    """A draft of the Sigonella base is what the text names: proposed as that record, not as a new place."""
    base = PlaceFactory(name="Sigonella Naval Air Station", type=PlaceType.SITE, status=AuthorityStatus.DRAFT)
    PlaceNameFactory(place=base, name="Sigonella")
    proposals = _run("The drones are based at the Sigonella naval air station in Sicily.")
    assert base.name in _places(proposals)
    assert (SuggestionKind.NEW_PLACE, "Sigonella") not in _new_names(proposals)
