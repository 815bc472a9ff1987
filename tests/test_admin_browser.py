"""The workbench in a real browser (Chromium through Playwright): import, describe, submit, publish, find, history.

An archivist logs in, uploads a file, tags the new article and submits it
for review; an editor publishes it; the public search finds it; the
article's history shows both people's changes.
"""

import os
import shutil

import pytest

from archive.models import Article
from tests.admin_support import staff_user

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery staple"
ARTICLE = (
    "Dock Workers End Week-Long Strike in Genoa\n\n"
    "By Maria Rossi | Mar 3, 2016 09:15 AM EST\n\n"
    "Dock workers in Genoa returned to work on Thursday after a week-long strike over night shifts.\n\n"
    "The port authority said container traffic would be back to normal by the weekend.\n"
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"Chromium is not installed at {CHROMIUM}"),
]

# Playwright's sync API runs an event loop in this thread; ORM calls here happen between page actions.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


def logged_in(browser, live_server, username: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    return page


def save_with_status(page, status: str) -> None:
    page.select_option("#id_status", status)
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")


def test_archivist_imports_tags_submits_and_editor_publishes(browser, live_server, tmp_path):
    """The whole review path through the real admin pages, ending on the public search and the history page."""
    staff_user("alma", "Archivist", PASSWORD)
    staff_user("eddie", "Editor", PASSWORD)
    upload = tmp_path / "genoa-strike.txt"
    upload.write_text(ARTICLE)

    archivist = logged_in(browser, live_server, "alma")
    archivist.goto(f"{live_server.url}/admin/archive/article/")
    archivist.click("text=Import articles")
    archivist.set_input_files("#id_upload", str(upload))
    archivist.click("input[type=submit][value=Import]")
    archivist.wait_for_selector("text=Finished at")
    assert archivist.inner_text("#import-created") == "1"

    article = Article.objects.get(title="Dock Workers End Week-Long Strike in Genoa")
    assert article.status == "draft"
    archivist.goto(f"{live_server.url}/admin/archive/article/{article.pk}/change/")
    statuses = archivist.locator("#id_status option").evaluate_all("options => options.map(o => o.value)")
    assert statuses == ["draft", "in_review"]
    archivist.fill("#id_tags", "strikes, ports")
    save_with_status(archivist, "in_review")

    editor = logged_in(browser, live_server, "eddie")
    editor.goto(f"{live_server.url}/admin/archive/article/?queue=in_review")
    editor.click("text=Dock Workers End Week-Long Strike in Genoa")
    save_with_status(editor, "published")

    public = browser.new_page()
    public.goto(f"{live_server.url}/search/?q=tag:strikes")
    assert "Dock Workers End Week-Long Strike in Genoa" in public.content()

    editor.goto(f"{live_server.url}/admin/archive/article/{article.pk}/history/")
    history = editor.inner_text("#content")
    assert "alma" in history and "eddie" in history
    assert "Changed Status and Tags." in history
    assert "Changed Status." in history
