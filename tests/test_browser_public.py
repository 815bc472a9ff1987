"""The public site in a real browser (Chromium through Playwright): search, facets, sort, pages, export, suggestions.

Screenshots of the main pages are written to tests/artifacts/ (not committed).
"""

import csv
import datetime as dt
import io
import shutil
from pathlib import Path

import pytest
from django.db import transaction

from tests.factories import ArticleFactory
from tests.public_data import SEED_TITLE, seed_world

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"Chromium is not installed at {CHROMIUM}"),
]


@pytest.fixture(scope="module")
def browser():
    """One Chromium for the module.

    Playwright's sync API keeps an event loop in this thread; the ORM calls in
    these tests happen between page actions, never during them, so Django's
    async-safety guard is relaxed for this module only.
    """
    sync_api = pytest.importorskip("playwright.sync_api")
    with pytest.MonkeyPatch.context() as patch, sync_api.sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def world():
    """The seed-like article plus 24 drone articles over three years, some about the Islamic State or Sicily.

    Written in one transaction so the index is updated once, at its commit.
    """
    with transaction.atomic():
        world = seed_world()
        for n in range(24):
            ArticleFactory(
                title=f"Drone programme update {n + 1}",
                body=f"Armed drones were discussed again in briefing number {n + 1}.",
                published_start=dt.date(2013 + n % 3, 1 + n % 12, 10),
                actors=[world.islamic_state] if n % 2 else [world.united_states],
                places=[world.sigonella] if n % 3 == 0 else [world.libya],
                tags=["drones"],
            )
    return world


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def heading(page) -> str:
    return page.locator("#results-heading").inner_text()


def test_search_narrow_widen_sort_paginate_and_open_article(live_server, page, world):
    """A researcher searches, narrows by two facets, widens, sorts, pages, opens an article and follows an actor."""
    page.goto(live_server.url + "/")
    page.get_by_label("Search words").fill("drones")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=drones**")
    assert heading(page).startswith("25 articles")
    shot(page, "search-results")

    page.locator(".facet").filter(has=page.locator("#facet-actor")).get_by_role("link", name="Islamic State").click()
    assert heading(page) == "13 articles"
    page.locator(".facet").filter(has=page.locator("#facet-place")).get_by_role("link", name="Sicily (Italy)").click()
    assert heading(page) == "5 articles"
    chips = page.locator(".active-filters .chip-remove")
    assert chips.count() == 3
    shot(page, "search-two-facets")

    page.get_by_role("link", name="Remove place filter: Sicily").click()
    assert heading(page) == "13 articles"
    page.get_by_role("link", name="Remove actor filter: Islamic State").click()
    assert heading(page).startswith("25 articles")

    page.get_by_label("Sort").select_option("oldest")
    page.get_by_label("Per page").select_option("10")
    page.get_by_role("button", name="Apply").click()
    assert "sort=oldest" in page.url and "per_page=10" in page.url
    first_date = page.locator(".result time").first.get_attribute("datetime")
    assert first_date == "2013-01-10"
    assert heading(page) == "25 articles, showing 1\N{EN DASH}10"

    page.get_by_role("navigation", name="Pages of results").get_by_role("link", name="Next").click()
    assert "page=2" in page.url
    assert heading(page) == "25 articles, showing 11\N{EN DASH}20"
    shot(page, "search-page-2")

    page.get_by_label("Search words").fill("Sigonella")
    page.keyboard.press("Enter")
    page.get_by_role("link", name=SEED_TITLE).click()
    assert page.locator("h1").inner_text() == SEED_TITLE
    assert "International Business Times, 24 February 2016." in page.locator("#citation").inner_text()
    shot(page, "article")

    page.locator(".article-meta").get_by_role("link", name="Islamic State", exact=True).click()
    assert f"actor={world.islamic_state.pk}" in page.url
    assert page.get_by_role("link", name="Remove actor filter: Islamic State").is_visible()
    assert heading(page) == "13 articles"


def test_export_csv_from_the_results(live_server, page, world):
    """The CSV link downloads every result of the search, not just the page shown."""
    page.goto(live_server.url + "/search/?q=drones&per_page=10")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV").click()
    download = download_info.value
    assert download.suggested_filename == "archive-search.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))
    assert len(rows) == 25
    assert SEED_TITLE in {row["title"] for row in rows}


def test_suggestions_with_the_keyboard(live_server, page, world):
    """Arrow keys choose a suggestion and Enter applies it; Enter alone searches exactly what was typed."""
    page.goto(live_server.url + "/search/")
    box = page.get_by_role("combobox", name="Search words")
    box.press_sequentially("Dae", delay=40)
    listbox = page.get_by_role("listbox", name="Suggestions")
    listbox.get_by_role("option", name="Islamic State").wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    shot(page, "suggestions")
    page.keyboard.press("ArrowDown")
    active = box.get_attribute("aria-activedescendant")
    assert page.locator(f"#{active}").get_attribute("aria-selected") == "true"
    page.keyboard.press("Enter")
    page.wait_for_url(f"**actor={world.islamic_state.pk}**")
    assert heading(page) == "13 articles"

    box = page.get_by_role("combobox", name="Search words")
    box.press_sequentially("dro", delay=40)
    page.get_by_role("listbox", name="Suggestions").get_by_role("option").first.wait_for()
    page.keyboard.press("Enter")
    page.wait_for_url("**q=dro**")
    assert page.get_by_label("Search words").input_value() == "dro"


def test_browse_pages_render(live_server, page, world):
    """Actor, place and index pages render with their counts (screenshots kept for review)."""
    page.goto(live_server.url + f"/actors/{world.islamic_state.pk}/")
    assert page.locator("h1").inner_text() == "Islamic State"
    assert page.locator(".alias").all_inner_texts() == ["Daesh", "ISIL", "ISIS"]
    shot(page, "actor")
    page.goto(live_server.url + f"/places/{world.italy.pk}/")
    assert page.locator("h1").inner_text() == "Italy"
    shot(page, "place")
    for name in ("actors", "places", "tags", "time"):
        page.goto(f"{live_server.url}/{name}/")
        assert page.locator("h1").inner_text() == name.capitalize()
        shot(page, f"index-{name}")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/search/?q=drones")
    shot(page, "search-mobile")


def test_search_works_without_javascript(live_server, browser, world):
    """With JavaScript off, searching, narrowing by a facet and changing the sort all still work."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/search/")
        box = page.get_by_label("Search words")
        assert box.get_attribute("role") is None
        box.fill("drones")
        page.get_by_role("button", name="Search", exact=True).click()
        assert heading(page).startswith("25 articles")
        page.locator(".facet").filter(has=page.locator("#facet-tag")).get_by_role("link", name="airbase").click()
        assert heading(page) == "1 article"
        page.get_by_label("Sort").select_option("newest")
        page.get_by_role("button", name="Apply").click()
        assert "sort=newest" in page.url and "tag=airbase" in page.url
        assert heading(page) == "1 article"
    finally:
        context.close()
