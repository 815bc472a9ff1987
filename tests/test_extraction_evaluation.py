"""evaluate_extraction on two small SGML files written by the test (our own text, not the corpus)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from archive.extraction.evaluation import _in_vocabulary, evaluate
from archive.models import Actor, Place
from tests.factories import PlaceFactory

pytestmark = pytest.mark.django_db

STORY = """<REUTERS TOPICS="{topics}" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="1" NEWID="{newid}">
<DATE> 3-MAR-1987 10:00:00.00</DATE>
<TOPICS><D>money-fx</D></TOPICS>
<PLACES>{places}</PLACES>
<PEOPLE>{people}</PEOPLE>
<ORGS>{orgs}</ORGS>
<EXCHANGES></EXCHANGES>
<COMPANIES></COMPANIES>
<UNKNOWN>x</UNKNOWN>
<TEXT>
<TITLE>{title}</TITLE>
<DATELINE>    {dateline} - </DATELINE><BODY>{body}
 REUTER
</BODY></TEXT>
</REUTERS>
"""


def _story(newid, *, title, dateline, body, places=(), people=(), orgs=(), topics="YES"):
    def tags(codes):
        return "".join(f"<D>{code}</D>" for code in codes)

    return STORY.format(
        newid=newid,
        topics=topics,
        title=title,
        dateline=dateline,
        body=body,
        places=tags(places),
        people=tags(people),
        orgs=tags(orgs),
    )


@pytest.fixture
def files(tmp_path):
    train = tmp_path / "train.sgm"
    train.write_text(
        _story(
            1,
            title="VOLCKER SAYS DOLLAR STABLE",
            dateline="WASHINGTON, March 3",
            body="Federal Reserve Chairman Paul Volcker said the dollar was stable.\n"
            "Paul Volcker told the International Monetary Fund that rates would hold.",
            places=["usa"],
            people=["volcker"],
            orgs=["imf"],
        ),
        encoding="latin-1",
    )
    test = tmp_path / "test.sgm"
    test.write_text(
        _story(
            2,
            title="VOLCKER MEETS FRENCH OFFICIALS",
            dateline="PARIS, March 4",
            body="Volcker met French finance officials in Paris.\nVolcker said the talks went well.",
            places=["france", "usa"],
            people=["volcker"],
        )
        + _story(
            3,
            title="NOT INDEXED STORY",
            dateline="TOKYO, March 4",
            body="Japanese exporters in Tokyo were worried.",
            topics="BYPASS",
        ),
        encoding="latin-1",
    )
    return train, test


def test_scores_against_the_human_tags(files):
    """France and Volcker are found, 'usa' (never named in the story) is missed; the bypassed story is skipped."""
    train, test = files
    report = evaluate(train=[train], test=[test], thresholds=[0.6], min_population=1_000_000, progress=False)
    assert report.articles == 1
    places, people = report.scores[0.6]["places"], report.scores[0.6]["people"]
    assert (places.true_positives, places.false_positives, places.false_negatives) == (1, 0, 1)
    assert places.missed == {"United States": 1}
    assert (people.true_positives, people.false_positives, people.false_negatives) == (1, 0, 0)


def test_evaluation_leaves_nothing_behind(files):
    """Everything the evaluation loads is rolled back."""
    train, test = files
    evaluate(train=[train], test=[test], thresholds=[0.6], min_population=1_000_000, progress=False)
    assert not Actor.objects.exists()
    assert not Place.objects.exists()


def test_command_refuses_a_database_with_records(files):
    """Existing records would help or hinder the extractor: the command asks for an empty database."""
    PlaceFactory(name="Italy")
    train, test = files
    with pytest.raises(CommandError, match=r"^evaluate_extraction needs an empty database"):
        call_command("evaluate_extraction", "--train", str(train), "--test", str(test), stdout=StringIO())


def test_command_names_a_missing_file(files, tmp_path):
    """A file that is not there is named in one clear error."""
    train, _ = files
    missing = tmp_path / "reut2-099.sgm"
    with pytest.raises(CommandError, match=rf"^{missing}: no such file$"):
        call_command("evaluate_extraction", "--train", str(train), "--test", str(missing), stdout=StringIO())


def test_command_prints_the_table(files):
    """The command prints precision, recall and F1 per type and the most frequent errors."""
    train, test = files
    out = StringIO()
    call_command(
        "evaluate_extraction",
        "--train",
        str(train),
        "--test",
        str(test),
        "--min-population",
        "1000000",
        stdout=out,
        stderr=StringIO(),
    )
    text = out.getvalue()
    assert "Places (country)       1.000   0.500  0.667      1      0      1" in text
    assert "Places (country): tagged but not suggested: United States (1)" in text


def test_training_gives_people_the_title_their_stories_use(tmp_path):
    """Records learn 'Treasury Secretary' from the training stories, which tells the two Bakers apart later."""
    train = tmp_path / "train.sgm"
    train.write_text(
        _story(
            1,
            title="U.S. SAYS DOLLAR STABLE",
            dateline="WASHINGTON, March 3",
            body="Treasury Secretary James Baker said the dollar was stable.",
            people=["james-baker"],
        )
        + _story(
            2,
            title="REAGAN TO MEET PRESS",
            dateline="WASHINGTON, March 3",
            body="White House Chief of Staff Howard Baker said the President would meet the press.",
            people=["howard-baker"],
        ),
        encoding="latin-1",
    )
    test = tmp_path / "test.sgm"
    test.write_text(
        _story(
            3,
            title="TREASURY'S BAKER SAYS CURRENCIES IN RANGE",
            dateline="WASHINGTON, March 4",
            body="Baker told a Senate panel that currencies were within ranges.",
            people=["james-baker"],
        ),
        encoding="latin-1",
    )
    report = evaluate(train=[train], test=[test], thresholds=[0.6], min_population=1_000_000, progress=False)
    people = report.scores[0.6]["people"]
    assert (people.true_positives, people.false_positives, people.false_negatives) == (1, 0, 0)


def test_a_hyphenated_candidate_matches_the_list():
    """The list's codes join words with hyphens: the candidate 'Ahmed Abu-Bakr' is the listed 'Ahmed Abu Bakr'."""
    vocabulary = {"ahmed abu bakr": "Ahmed Abu Bakr", "volcker": "Volcker"}
    assert _in_vocabulary("Ahmed Abu-Bakr", vocabulary) == "Ahmed Abu Bakr"
    assert _in_vocabulary("Paul\nVolcker", vocabulary) == "Volcker"
    assert _in_vocabulary("Ahmed Hassan", vocabulary) is None


def test_a_candidate_with_a_compound_surname_matches_the_list():
    """The list gives some by a compound surname alone: the candidate 'Gerhard de Kock' is the listed 'De Kock'."""
    vocabulary = {"de kock": "De Kock", "james baker": "James Baker"}
    assert _in_vocabulary("Gerhard de Kock", vocabulary) == "De Kock"
    assert _in_vocabulary("James Baker", vocabulary) == "James Baker"
    assert _in_vocabulary("Gerhard Kock", vocabulary) is None
