"""``import_articles`` and ``load_seed``: what the person at the terminal sees, and the exit status."""

import io
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from archive.models import Actor, Article, Place, Suggestion
from archive.search import get_backend
from archive.search.base import SearchQuery
from archive.services import imports
from tests.import_support import reuters_file, story

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "2016-02-24-italy-us-drones-sigonella.txt"

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_articles", *args, "--no-progress", stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), exc
    return out.getvalue(), err.getvalue(), None


def test_summary_line(tmp_path):
    """A clean run prints the counts and succeeds."""
    shutil.copy(SEED, tmp_path / SEED.name)
    out, err, error = run(str(tmp_path))
    assert (out, err, error) == ("Imported: 1 created, 0 updated, 0 unchanged, 0 failed.\n", "", None)


def test_second_run_reports_unchanged(tmp_path):
    """Importing the same folder again reports the article as unchanged."""
    shutil.copy(SEED, tmp_path / SEED.name)
    run(str(tmp_path))
    out, _, _ = run(str(tmp_path))
    assert out == "Imported: 0 created, 0 updated, 1 unchanged, 0 failed.\n"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"", "empty.txt: empty file"),
        ("binary.txt", b"GIF89a\x00\x01\x00", "binary.txt: binary file, not text"),
        (
            "latin1.txt",
            "Caf\xe9 Owners Protest\n\nBy Staff | Feb 24, 2016 05:42 AM EST\n\nText.\n".encode("latin-1"),
            "latin1.txt: not UTF-8 text (byte 0xe9 on line 1 does not decode)",
        ),
        (
            "untitled.txt",
            b"By Staff | Feb 24, 2016 05:42 AM EST\n\nText.\n",
            "untitled.txt: no title (the first line is the byline)",
        ),
        (
            "byline.txt",
            b"Harbour Reopens\n\nBy Staff | Febtember 40, 2016\n\nText.\n",
            "byline.txt: byline does not parse (no such date 'Febtember 40, 2016'): 'By Staff | Febtember 40, 2016'",
        ),
    ],
)
def test_each_bad_file_gives_one_line_and_a_failing_status(tmp_path, name, content, message):
    """The problem is one line on stderr naming the file; the good file beside it is still imported."""
    (tmp_path / name).write_bytes(content)
    shutil.copy(SEED, tmp_path / SEED.name)
    out, err, error = run(str(tmp_path))
    assert err == message + "\n"
    assert out == "Imported: 1 created, 0 updated, 0 unchanged, 1 failed.\n"
    assert str(error) == "1 problem: the lines above name each file and what is wrong with it."
    assert error.returncode == 1
    assert Article.objects.count() == 1


def test_missing_path(tmp_path):
    """A path that is not there is named as such."""
    _, err, error = run(str(tmp_path / "nowhere"))
    assert err == f"{tmp_path / 'nowhere'}: no such file or directory\n"
    assert error is not None


def test_format_option_takes_only_that_format_from_folders(tmp_path):
    """With --format reuters a corpus folder's README and DTD are left alone."""
    reuters_file(tmp_path / "reut2-000.sgm", story(newid="1"), story(newid="2"))
    (tmp_path / "README.txt").write_text("About this collection.\n")
    (tmp_path / "lewis.dtd").write_text("<!ELEMENT LEWIS O O (REUTERS+)>\n")
    out, err, error = run("--format", "reuters", str(tmp_path))
    assert (err, error) == ("", None)
    assert out.startswith("Imported: 2 created")


def test_publish_option(tmp_path):
    """--publish makes the new articles public."""
    reuters_file(tmp_path / "reut2-000.sgm", story(newid="1"))
    run("--publish", str(tmp_path))
    assert Article.objects.get().status == "published"


def test_interrupt_says_how_far_it_got(tmp_path, monkeypatch):
    """Ctrl-C ends with the counts so far and how to finish, with status 130."""
    texts = [f"&#2;\n<TITLE>MARKET REPORT {n}</TITLE>\n<BODY>Trading was quiet.\n&#3;</BODY>" for n in range(5)]
    reuters_file(tmp_path / "reut2-000.sgm", *(story(newid=str(n), text=text) for n, text in enumerate(texts)))
    original = imports._BatchWriter.write

    def stop_after_first(self, records):
        if Article.objects.exists():
            raise KeyboardInterrupt
        return original(self, records)

    monkeypatch.setattr(imports._BatchWriter, "write", stop_after_first)
    _, _, error = run("--batch-size", "2", str(tmp_path))
    assert str(error) == (
        "Interrupted after 2 records (2 created, 0 updated, 0 unchanged, 0 failed). "
        "Every batch stored so far is complete; run the same command again to finish."
    )
    assert error.returncode == 130


def test_no_index_leaves_the_articles_for_process_index_queue(tmp_path):
    """A bulk load with --no-index says how to index it, and process_index_queue makes it searchable."""
    shutil.copy(SEED, tmp_path / SEED.name)
    out, _, _ = run("--no-index", "--publish", str(tmp_path))
    assert "run process_index_queue" in out
    assert get_backend().search(SearchQuery(text="Sigonella")).total == 0
    call_command("process_index_queue", stdout=io.StringIO())
    assert get_backend().search(SearchQuery(text="Sigonella")).total == 1


def test_no_suggest_leaves_suggestions_to_suggest_access_points(tmp_path, django_capture_on_commit_callbacks):
    """--no-suggest stores the articles without suggestions; suggest_access_points makes them later."""
    shutil.copy(SEED, tmp_path / SEED.name)
    with django_capture_on_commit_callbacks(execute=True):
        run("--no-suggest", str(tmp_path))
    assert not Suggestion.objects.exists()
    call_command("suggest_access_points", stdout=io.StringIO(), stderr=io.StringIO())
    assert Suggestion.objects.exists()


def load_seed():
    out = io.StringIO()
    call_command("load_seed", stdout=out)
    return out.getvalue()


def test_load_seed_publishes_a_fully_described_article():
    """The seed is published and linked to its actors, places and tags."""
    load_seed()
    article = Article.objects.get()
    assert article.status == "published"
    assert sorted(a.name for a in article.actors.all()) == [
        "Islamic State",
        "Italy",
        "NATO",
        "Noureddine Chouchane",
        "United States",
    ]
    assert sorted(p.name for p in article.places.all()) == [
        "Italy",
        "Libya",
        "Sabratha",
        "Sicily",
        "Sigonella Naval Air Station",
        "Tunisia",
    ]
    assert sorted(article.tags.names()) == ["airbase", "counter-terrorism", "drones"]


def test_load_seed_builds_the_place_hierarchy_with_coordinates():
    """Sigonella is in Sicily, in Italy; Sabratha is in Libya; every place has coordinates and a country code."""
    load_seed()
    sigonella = Place.objects.get(name="Sigonella Naval Air Station")
    assert [p.name for p in sigonella.ancestors()] == ["Sicily", "Italy"]
    assert Place.objects.get(name="Sabratha").parent.name == "Libya"
    assert not Place.objects.filter(latitude__isnull=True).exists()
    assert dict(Place.objects.filter(type="country").values_list("name", "country_code")) == {
        "Italy": "IT",
        "Libya": "LY",
        "Tunisia": "TN",
    }


def test_load_seed_gives_islamic_state_its_alternate_names():
    """ISIS, ISIL, Isis, Daesh and IS are names of the one armed group."""
    load_seed()
    actor = Actor.objects.get(name="Islamic State")
    assert actor.type == "armed_group"
    assert sorted(actor.alternate_names.values_list("name", flat=True)) == ["Daesh", "IS", "ISIL", "ISIS", "Isis"]


def test_load_seed_twice_changes_nothing():
    """Running the seed again (every `make run`) adds and alters nothing."""
    load_seed()
    snapshot = (list(Article.objects.values()), list(Actor.objects.values()), list(Place.objects.values()))
    output = load_seed()
    assert (list(Article.objects.values()), list(Actor.objects.values()), list(Place.objects.values())) == snapshot
    assert output == (
        "Seed article 'italy-agrees-to-launch-us-armed-drones-on-their-airbase-to-reinforce-campaign-against-isis"
        "-2016-02-24': published, 5 actors, 6 places, 3 tags.\n"
    )


def test_load_seed_keeps_a_withdrawn_seed_withdrawn():
    """An archivist's decision to withdraw the seed survives the next `make run`."""
    load_seed()
    Article.objects.update(status="withdrawn")
    load_seed()
    assert Article.objects.get().status == "withdrawn"


@pytest.mark.django_db(transaction=True)
def test_load_seed_is_searchable_by_alternate_names_and_places():
    """After loading, Daesh finds the seed through its actor and Italy through Sigonella's ancestors."""
    load_seed()
    backend = get_backend()
    pk = Article.objects.get().pk
    assert [hit.article_id for hit in backend.search(SearchQuery(text="Daesh")).hits] == [pk]
    italy = Place.objects.get(name="Italy")
    assert [hit.article_id for hit in backend.search(SearchQuery(places=(italy.pk,))).hits] == [pk]
