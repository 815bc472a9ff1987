"""The first screen a new archivist opens: the seed article's admin page after ``make run``'s own set-up.

The set-up commands are read from the Makefile's ``run`` recipe and run in
its order (all but the last, which serves the site: the test client plays
the browser), so this test follows the Makefile when it changes.
"""

import re
import shlex
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from archive.models import Article
from tests.command_support import run

pytestmark = pytest.mark.django_db(transaction=True)

MAKEFILE = Path(settings.BASE_DIR) / "Makefile"
SERVING = {"runserver"}


def run_recipe_commands() -> list[list[list[str]]]:
    """Each line of the ``run`` recipe that calls manage.py, as its ``||`` alternatives: [command, *arguments]."""
    recipe = re.search(r"^run:.*\n((?:\t.*\n)+)", MAKEFILE.read_text(), re.MULTILINE).group(1)
    lines = []
    for line in recipe.splitlines():
        alternatives = []
        for part in line.replace("$(PORT)", "8000").split("||"):
            words = shlex.split(part)
            if "manage.py" in words:
                call = words[words.index("manage.py") + 1 :]
                alternatives.append([word for word in call if not word.startswith((">", "2>"))])
        if alternatives:
            lines.append(alternatives)
    return lines


class _SuggestionRows(HTMLParser):
    """The (kind, suggestion) cells of each row of the 'Suggested access points' table, as the page shows them."""

    def __init__(self):
        super().__init__()
        self.rows: list[tuple[str, str]] = []
        self.cell: str | None = None
        self.row: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        classes = dict(attrs).get("class") or ""
        if tag == "td" and classes in ("field-kind", "field-target"):
            self.cell = classes
            self.row[classes] = ""

    def handle_endtag(self, tag):
        if tag == "td" and self.cell:
            self.cell = None
            if len(self.row) == 2:
                self.rows.append((self.row["field-kind"].strip(), self.row["field-target"].strip()))
                self.row = {}

    def handle_data(self, data):
        if self.cell:
            self.row[self.cell] += data


def test_make_run_set_up_reads_the_makefile():
    """The recipe is found, and its set-up runs migrate, load_seed, check_index or rebuild_index, ensure_admin."""
    names = [[call[0] for call in alternatives] for alternatives in run_recipe_commands()]
    assert names[:4] == [["migrate"], ["load_seed"], ["check_index", "rebuild_index"], ["ensure_admin"]]
    assert names[-1] == ["runserver"]


def test_seed_article_page_after_make_run_proposes_no_existing_record(client):
    """After make run's set-up, the seed article proposes only the dates it names besides its own: every
    place and actor it mentions is already recorded and linked ('Italian' is Italy, 'Isis-controlled' the
    Islamic State), and no common noun ('Militant') is taken for a person."""
    for alternatives in run_recipe_commands():
        for command, *arguments in alternatives:
            if command in SERVING:
                break
            status, _ = run(command, *arguments)
            if status == 0:
                break
    password = (settings.ARCHIVE_DATA_DIR / "admin-password.txt").read_text().strip()
    login = client.post(reverse("admin:login"), {"username": "admin", "password": password})
    assert login.status_code == 302
    seed = Article.objects.get()

    response = client.get(reverse("admin:archive_article_change", args=[seed.pk]))

    assert response.status_code == 200
    page = _SuggestionRows()
    page.feed(response.content.decode())
    assert sorted(page.rows) == [
        ("Date", "2016-02-15 to 2016-02-21 (week)"),
        ("Date", "2016-02-22 (day)"),
    ]
