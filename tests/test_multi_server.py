"""Two web servers as two hosts run them: one PostgreSQL database, the PostgreSQL engine, a folder each.

Both hosts start at once as ``make serve`` starts them (migrate, collectstatic,
then gunicorn with production settings, behind a TLS proxy). What is written
on host A, by a command or through its admin over HTTP, host B's search finds
in its very next request: the engine writes its index in the change's own
transaction, so there is nothing to wait for and no worker involved.
"""

from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import pytest

from tests.postgres_support import fresh_database, skip_unless_postgres
from tests.server_support import Browser, gunicorn, manage, production_env

SEED_TITLE = "Italy Agrees to Launch US Armed Drones on their Airbase to Reinforce Campaign Against ISIS"
USERNAME, PASSWORD = "alma", "kestrel-harbour-lantern-9"

# The hosts' database is created beside the test database, which this mark makes sure exists.
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def hosts(django_db_setup, tmp_path_factory):
    """A and B started together on one fresh database; host A's environment, an archivist logged in to A's
    admin, and a reader of B's public site."""
    skip_unless_postgres()
    logs = tmp_path_factory.mktemp("logs")
    with fresh_database("servers") as (_, url), ExitStack() as servers:
        envs = [
            production_env(
                tmp_path_factory.mktemp(f"host-{name}"),
                DATABASE_URL=url,
                ARCHIVE_SEARCH_BACKEND="postgres",
                DJANGO_SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https",
            )
            for name in ("a", "b")
        ]

        def prepare(env):
            manage(env, "migrate", "--noinput")
            manage(env, "collectstatic", "--noinput", "-v", "0")

        with ThreadPoolExecutor(2) as starting:
            list(starting.map(prepare, envs))
        port_a, port_b = (
            servers.enter_context(gunicorn(env, logs / f"gunicorn-{name}.log"))
            for env, name in zip(envs, "ab", strict=True)
        )
        env_a = envs[0]
        superuser = ("createsuperuser", "--noinput", "--username", USERNAME, "--email", "alma@archive.example")
        manage({**env_a, "DJANGO_SUPERUSER_PASSWORD": PASSWORD}, *superuser)
        admin_a = Browser(port_a)
        admin_a.log_in(USERNAME, PASSWORD)
        yield env_a, admin_a, Browser(port_b)


def search(browser: Browser, **params):
    page = browser.get("/search/", **params)
    assert page.status == 200, page.text[:2000]
    return page


@pytest.mark.parametrize(
    "params",
    [
        {"q": "Sigonella"},
        {"q": "Daesh"},
        {"q": "place:Italy"},
        {"q": 'actor:"Islamic State"'},
        {"q": "tag:drones"},
        {"from": "2016-02"},
    ],
    ids=["Sigonella", "Daesh", "place-Italy", "actor-Islamic-State", "tag-drones", "from-2016-02"],
)
def test_seed_loaded_on_host_a_is_found_by_host_b(hosts, params):
    """The seed article loaded with host A's environment is found at once by host B's search."""
    env_a, _, reader_b = hosts
    manage(env_a, "load_seed")
    assert SEED_TITLE in search(reader_b, **params).titles()


def add_in_admin(admin: Browser, model: str, fields: dict) -> str:
    """Add a record through the admin's add form; the address of its change form."""
    added = admin.submit(
        f"/admin/archive/{model}/add/", "name" if model == "actor" else "title", fields, button="_continue"
    )
    assert added.status == 302, added.errors()
    return added.headers["Location"]


def publish_in_admin(admin: Browser, change_form: str) -> None:
    """Send a draft to review, then publish it, each with the change form, as the workflow asks."""
    for status in ("in_review", "published"):
        saved = admin.submit(change_form, "title", {"status": status}, button="_continue")
        assert (saved.status, saved.headers["Location"]) == (302, change_form), saved.errors()


def article(title: str, body: str, **fields) -> dict:
    slug = title.lower().replace(" ", "-")
    return {
        "title": title,
        "slug": slug,
        "body": body,
        "published_start": "2016-03-01",
        "published_end": "2016-03-01",
        **fields,
    }


def test_article_saved_in_host_a_admin_is_found_by_host_b(hosts):
    """An article written in A's admin (login, CSRF, the real add and change forms) and published there is
    found by B's next search; while it is a draft B shows nothing."""
    _, admin_a, reader_b = hosts
    title = "Patrol boats return to Misrata harbour"
    change_form = add_in_admin(
        admin_a, "article", article(title, "Coastguard boats returned to Misrata after repairs.", tags="coastguard")
    )
    assert search(reader_b, q="Misrata").titles() == []
    publish_in_admin(admin_a, change_form)
    page = search(reader_b, q="Misrata")
    assert page.titles() == [title]
    assert page.facet("tag") == {"coastguard": 1}


def test_actors_merged_in_host_a_admin_are_merged_in_host_b_facets_and_filter(hosts):
    """Merging a duplicate actor into Islamic State with A's merge action moves its article in B's actor
    facet and actor filter at once; B's filter on the merged actor says it is gone."""
    env_a, admin_a, reader_b = hosts
    manage(env_a, "load_seed")
    duplicate = add_in_admin(
        admin_a, "actor", {"name": "Islamic State in Libya", "type": "armed_group", "status": "published"}
    )
    duplicate_id = duplicate.split("/")[-3]
    sirte = "Checkpoints reopen on the road to Sirte"
    publish_in_admin(
        admin_a,
        add_in_admin(
            admin_a, "article", article(sirte, "Militia checkpoints reopened near Sirte.", actors=[duplicate_id])
        ),
    )
    islamic_state_id = search(reader_b, q="Sigonella").chips("actor")["Islamic State"]
    query = {"q": "Sirte OR Sigonella"}
    before = search(reader_b, **query).facet("actor")
    assert (before["Islamic State"], before["Islamic State in Libya"]) == (1, 1)

    changelist = "/admin/archive/actor/"
    selected = {"action": "merge_records", "_selected_action": [islamic_state_id, duplicate_id]}
    preview = admin_a.submit(changelist, "action", {**selected, "survivor": islamic_state_id}, button="preview")
    assert "will be merged into <strong>Islamic State</strong>" in preview.text
    merged = admin_a.submit(changelist, "survivor", {}, button="confirm", page=preview)
    assert merged.status == 302
    assert "Merged Islamic State in Libya into Islamic State: 1 article relinked." in admin_a.get(changelist).text

    after = search(reader_b, **query).facet("actor")
    assert after["Islamic State"] == 2
    assert "Islamic State in Libya" not in after
    assert sorted(search(reader_b, actor=islamic_state_id).titles()) == sorted([SEED_TITLE, sirte])
    gone = search(reader_b, actor=duplicate_id).text
    assert f"There is no actor with id {duplicate_id}; that filter was ignored." in gone
