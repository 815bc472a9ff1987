"""The article size limit: a file or record over ``ARCHIVE_MAX_ARTICLE_BYTES`` is refused before it is read whole.

The refusal names the file (and the record) and the limit, stores nothing
for it, and leaves the other records to import. The large-file tests write
tens of megabytes to a temporary folder and watch this process's resident
memory while the import refuses them.
"""

import io
import json
import threading
from contextlib import contextmanager

import psutil
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from archive.models import Article, ImportJobStatus
from archive.services.imports import articles_import
from archive.services.uploads import import_job_create, import_job_run
from tests.import_support import reuters_file, story

pytestmark = pytest.mark.django_db

LIMIT = 2000
STORY = "Dock Workers End Week-Long Strike in Genoa\n\nBy Maria Rossi | Mar 3, 2016 09:15 AM EST\n\n"
BIG_BYTES = 80 * 1024 * 1024
MEMORY_BOUND = 100 * 1024 * 1024


def over(size: int, limit: int = LIMIT) -> str:
    return f"{size:,} bytes, over the limit of {limit:,} bytes for one article (ARCHIVE_MAX_ARTICLE_BYTES sets it)"


def text_story(path, size: int):
    """A plain-text story of exactly ``size`` bytes."""
    filler = "Dock workers returned to work. " * (size // 31 + 1)
    path.write_text((STORY + filler)[:size], encoding="ascii")
    return path


def jsonl_line(title: str, body: str = "Officials confirmed it.", **extra) -> str:
    return json.dumps({"title": title, "body": body, **extra}) + "\n"


@pytest.fixture
def limit(settings):
    settings.ARCHIVE_MAX_ARTICLE_BYTES = LIMIT
    return LIMIT


def test_a_text_file_one_byte_over_the_limit_is_refused_and_nothing_is_stored(tmp_path, limit):
    """A one-article file of limit + 1 bytes is refused by its size, naming the file and the limit."""
    report = articles_import(paths=[text_story(tmp_path / "genoa.txt", limit + 1)])
    assert report.failures == [f"genoa.txt: {over(limit + 1)}"]
    assert not Article.objects.exists()


def test_a_text_file_at_the_limit_is_imported(tmp_path, limit):
    """A file of exactly the limit is not refused."""
    report = articles_import(paths=[text_story(tmp_path / "genoa.txt", limit)])
    assert (report.created, report.failures) == (1, [])


def test_a_jsonl_line_over_the_limit_fails_alone(tmp_path, limit):
    """The over-long line is an error naming its line; the records before and after it are stored."""
    big = jsonl_line("Too long", "x" * limit)
    path = tmp_path / "feed.jsonl"
    path.write_text(jsonl_line("Budget vote") + big + jsonl_line("Harbour reopens"))
    report = articles_import(paths=[path])
    assert report.failures == [f"feed.jsonl line 2: {over(len(big))}"]
    assert sorted(Article.objects.values_list("title", flat=True)) == ["Budget vote", "Harbour reopens"]


def test_a_csv_row_over_the_limit_fails_alone_and_later_rows_keep_their_line_numbers(tmp_path, limit):
    """A quoted body running over many lines is one row: refused whole, and the next rows keep their line numbers."""
    body = "\n".join(["A long paragraph of the report."] * 100)
    big = f'Too long,"{body}",\n'
    path = tmp_path / "sheet.csv"
    path.write_text(f"title,body,published\nFirst,One,\n{big}Third,Three,later\nFourth,Four,\n", encoding="utf-8")
    report = articles_import(paths=[path])
    assert report.failures[0] == f"sheet.csv line 3: {over(len(big))}"
    assert report.failures[1].startswith("sheet.csv line 103: published 'later' is not YYYY")
    assert sorted(Article.objects.values_list("title", flat=True)) == ["First", "Fourth"]


def test_a_reuters_record_over_the_limit_fails_alone_named_by_its_newid(tmp_path, limit):
    """The record is skipped to its closing tag and named by its NEWID; the stories around it are stored."""
    long_text = "&#2;\n<TITLE>LONG REPORT</TITLE>\n<BODY>" + "Trading was quiet.\n" * 200 + "&#3;</BODY>"
    big = story(newid="2", text=long_text)
    path = reuters_file(tmp_path / "reut2-000.sgm", story(newid="1"), big, story(newid="3"))
    report = articles_import(paths=[path])
    assert report.failures == [f"reut2-000.sgm NEWID=2: {over(len(big))}"]
    assert sorted(Article.objects.values_list("provider_id", flat=True)) == ["1", "3"]


def test_a_refused_record_leaves_the_stored_article_as_it_was(tmp_path, limit):
    """Re-importing an article whose text has grown past the limit changes nothing stored."""
    path = tmp_path / "feed.jsonl"
    path.write_text(jsonl_line("Budget vote", "First version.", id="b1"))
    articles_import(paths=[path])
    before = Article.objects.values().get()
    path.write_text(jsonl_line("Budget vote", "y" * limit, id="b1"))
    report = articles_import(paths=[path])
    assert (report.updated, report.failed) == (0, 1)
    assert Article.objects.values().get() == before


def test_the_command_names_the_file_and_the_limit(tmp_path, limit):
    """import_articles prints the refusal and fails with the count of problems."""
    text_story(tmp_path / "genoa.txt", limit + 1)
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"^1 problem:"):
        call_command("import_articles", str(tmp_path), "--no-progress", stdout=io.StringIO(), stderr=err)
    assert err.getvalue() == f"genoa.txt: {over(limit + 1)}\n"
    assert not Article.objects.exists()


def test_an_admin_upload_over_the_limit_is_a_failure_line_of_its_job(tmp_path, limit, django_user_model):
    """An uploaded file over the limit is reported on the job by its uploaded name; nothing is stored."""
    data = (STORY + "z" * limit).encode()
    job = import_job_create(
        files=[SimpleUploadedFile("genoa.txt", data, content_type="text/plain")],
        user=django_user_model.objects.create_user("archivist"),
    )
    job = import_job_run(job=job)
    assert (job.status, job.created, job.failures) == (ImportJobStatus.DONE, 0, [f"genoa.txt: {over(len(data))}"])
    assert not Article.objects.exists()


@contextmanager
def resident_growth():
    """The most this process's resident memory grew, in bytes, while the block ran (sampled every 5 ms)."""
    process = psutil.Process()
    baseline = process.memory_info().rss
    peak = {"rss": baseline}
    done = threading.Event()

    def sample():
        while not done.wait(0.005):
            peak["rss"] = max(peak["rss"], process.memory_info().rss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    growth = {}
    try:
        yield growth
    finally:
        done.set()
        sampler.join()
        growth["bytes"] = max(peak["rss"], process.memory_info().rss) - baseline


def write_big(path, head: str, filler: str, tail: str, size: int):
    """``head``, then ``filler`` repeated to about ``size`` bytes, then ``tail``, written a megabyte at a time."""
    block = (filler * (1024 * 1024 // len(filler))).encode()
    with path.open("wb") as out:
        out.write(head.encode())
        for _ in range(size // len(block)):
            out.write(block)
        out.write(tail.encode())
    return path


OPEN_STORY, CLOSE_STORY = story(newid="2", text="<BODY>@@</BODY>").split("@@")
BIG_FILES = {
    "story.txt": (STORY, "Dock workers returned to work. ", "\n"),
    "feed.jsonl": ('{"title": "Big", "body": "', "words and more ", '"}\n'),
    "sheet.csv": ('title,body\nBig,"', "words, and\nmore ", '"\n'),
    "reut2-000.sgm": ('<!DOCTYPE lewis SYSTEM "lewis.dtd">\n' + OPEN_STORY, "Quiet.\n", CLOSE_STORY),
}


@pytest.mark.parametrize("name", list(BIG_FILES))
def test_an_80_mb_file_or_record_is_refused_in_bounded_memory(tmp_path, name):
    """With the default limit, an 80 MB article is refused while resident memory grows by less than 100 MB."""
    path = write_big(tmp_path / name, *BIG_FILES[name], BIG_BYTES)
    with resident_growth() as growth:
        report = articles_import(paths=[path])
    assert len(report.failures) == 1
    assert "over the limit of 5,242,880 bytes for one article" in report.failures[0]
    assert growth["bytes"] < MEMORY_BOUND, f"{name}: resident memory grew by {growth['bytes'] / 2**20:.0f} MB"
    assert not Article.objects.exists()
