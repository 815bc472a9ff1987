"""Merging duplicate actors, places and tags from the admin, and deleting records that articles still use."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from taggit.models import Tag

from archive.models import Actor, ActorType, Article, AuthorityStatus, PlaceType
from tests.admin_support import archivist_fixture, client_for, editor_fixture, found  # noqa: F401
from tests.factories import ActorFactory, ActorNameFactory, ArticleFactory, PlaceFactory

pytestmark = pytest.mark.django_db


def merge(client, model: str, records, **extra):
    data = {"action": "merge_records", "index": 0, ACTION_CHECKBOX_NAME: [r.pk for r in records], **extra}
    return client.post(reverse(f"admin:{model}_changelist"), data, follow="confirm" in extra)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def islamic_state_duplicates(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        survivor = ActorFactory(name="Islamic State", type=ActorType.ARMED_GROUP)
        isis = ActorFactory(name="ISIS", type=ActorType.ARMED_GROUP)
        ActorNameFactory(actor=isis, name="Daesh")
        isil = ActorFactory(name="ISIL", type=ActorType.ARMED_GROUP)
        articles = [
            ArticleFactory(title="Raid near Sabratha", actors=[isis]),
            ArticleFactory(title="Camp destroyed", actors=[isil, survivor]),
            ArticleFactory(title="Recruitment in Tunisia", actors=[survivor]),
        ]
    return survivor, [isis, isil], articles


def test_merge_preview_shows_what_will_change(editor, islamic_state_duplicates):
    """The preview names the survivor, the number of relinked articles and the new alternate names, changing nothing."""
    survivor, others, _ = islamic_state_duplicates
    response = merge(client_for(editor), "archive_actor", [survivor, *others], survivor=survivor.pk, preview="1")
    preview = response.content.decode()
    assert "2 articles will be linked to Islamic State instead, and reindexed." in preview
    assert "New alternate names of Islamic State: ISIS, Daesh, ISIL." in preview
    assert Actor.objects.count() == 3


def test_merging_actors_moves_links_and_names(editor, islamic_state_duplicates, django_capture_on_commit_callbacks):
    """After the merge every article points to the survivor, the old names find them, and the duplicates are gone."""
    survivor, others, articles = islamic_state_duplicates
    with django_capture_on_commit_callbacks(execute=True):
        response = merge(client_for(editor), "archive_actor", [survivor, *others], survivor=survivor.pk, confirm="1")
    assert messages_of(response) == ["Merged ISIS, ISIL into Islamic State: 2 articles relinked."]
    assert list(Actor.objects.all()) == [survivor]
    assert sorted(survivor.alternate_names.values_list("name", flat=True)) == ["Daesh", "ISIL", "ISIS"]
    assert all(list(a.actors.all()) == [survivor] for a in articles)
    assert found("Daesh") == {a.pk for a in articles}
    assert found('actor:"ISIL"') == {a.pk for a in articles}


def test_merge_writes_one_history_row_per_article_and_raises_versions(editor, islamic_state_duplicates):
    """Each relinked article gets one history row saying what was merged, and a new version."""
    survivor, others, articles = islamic_state_duplicates
    merge(client_for(editor), "archive_actor", [survivor, *others], survivor=survivor.pk, confirm="1")
    raid = Article.objects.get(pk=articles[0].pk)
    assert raid.version == articles[0].version + 1
    assert raid.history.latest().history_change_reason == "Merged ISIS, ISIL into Islamic State"


def test_archivists_cannot_merge(archivist, islamic_state_duplicates):
    """Merging deletes records, so only editors may; an archivist's attempt changes nothing."""
    survivor, others, _ = islamic_state_duplicates
    response = merge(client_for(archivist), "archive_actor", [survivor, *others], survivor=survivor.pk, confirm="1")
    assert response.status_code == 200
    assert Actor.objects.count() == 3


def test_merge_needs_two_records(editor, islamic_state_duplicates):
    """Selecting a single record explains that a merge needs two."""
    survivor, _, _ = islamic_state_duplicates
    response = client_for(editor).post(
        reverse("admin:archive_actor_changelist"),
        {"action": "merge_records", "index": 0, ACTION_CHECKBOX_NAME: [survivor.pk]},
        follow=True,
    )
    assert messages_of(response) == ["Select at least two records to merge."]


def test_merging_places_moves_children_and_datelines(editor, django_capture_on_commit_callbacks):
    """Places inside a merged place move inside the survivor; articles datelined there follow."""
    with django_capture_on_commit_callbacks(execute=True):
        italy = PlaceFactory(name="Italy", type=PlaceType.COUNTRY)
        italia = PlaceFactory(name="Italia", type=PlaceType.COUNTRY)
        sicily = PlaceFactory(name="Sicily", type=PlaceType.REGION, parent=italia)
        article = ArticleFactory(title="Drones over Sicily", places=[sicily], dateline_place=italia)
    with django_capture_on_commit_callbacks(execute=True):
        merge(client_for(editor), "archive_place", [italy, italia], survivor=italy.pk, confirm="1")
    sicily.refresh_from_db()
    article.refresh_from_db()
    assert (sicily.parent, article.dateline_place) == (italy, italy)
    assert list(italy.alternate_names.values_list("name", flat=True)) == ["Italia"]
    assert found("place:Italia") == {article.pk}


def test_merging_tags_retags_articles(editor, django_capture_on_commit_callbacks):
    """Articles tagged with a merged tag carry the surviving tag, and the merged tag is gone."""
    with django_capture_on_commit_callbacks(execute=True):
        first = ArticleFactory(tags=["drones"])
        second = ArticleFactory(tags=["UAV", "drones"])
    drones, uav = Tag.objects.get(name="drones"), Tag.objects.get(name="UAV")
    with django_capture_on_commit_callbacks(execute=True):
        response = merge(client_for(editor), "taggit_tag", [drones, uav], survivor=drones.pk, confirm="1")
    assert messages_of(response) == ["Merged UAV into drones: 1 article relinked."]
    assert list(Tag.objects.values_list("name", flat=True)) == ["drones"]
    assert found("tag:drones") == {first.pk, second.pk}
    assert found("tag:UAV") == set()


def test_delete_confirmation_counts_linked_articles(editor, islamic_state_duplicates):
    """Deleting an actor still linked to articles shows how many articles lose the link."""
    survivor, _, _ = islamic_state_duplicates
    response = client_for(editor).get(reverse("admin:archive_actor_delete", args=[survivor.pk]))
    assert next(iter(response.context["model_count"])) == ("Articles that lose this link (the articles stay)", 2)
    assert "Articles that lose this link (the articles stay): 2" in response.content.decode()


def test_bulk_delete_confirmation_counts_linked_articles(editor):
    """The delete-selected page of tags shows how many articles lose a tag."""
    ArticleFactory(tags=["drones", "airbase"])
    ArticleFactory(tags=["drones"])
    response = client_for(editor).post(
        reverse("admin:taggit_tag_changelist"),
        {"action": "delete_selected", "index": 0, ACTION_CHECKBOX_NAME: list(Tag.objects.values_list("pk", flat=True))},
    )
    assert "Articles that lose this link (the articles stay): 2" in response.content.decode()


def test_archivist_cannot_publish_an_actor(archivist):
    """An archivist's new actor starts as a draft, and publishing it is refused with the reason."""
    client = client_for(archivist)
    add_url = reverse("admin:archive_actor_add")
    assert client.get(add_url).context["adminform"].form.initial["status"] == AuthorityStatus.DRAFT
    data = {
        "name": "Noureddine Chouchane",
        "type": "person",
        "status": "published",
        "description": "",
        "external_id": "",
        "alternate_names-TOTAL_FORMS": 0,
        "alternate_names-INITIAL_FORMS": 0,
    }
    response = client.post(add_url, data)
    assert response.context["adminform"].form.errors["status"] == [
        "Only editors may publish this record; save it as a draft for an editor to check."
    ]
    response = client.post(add_url, {**data, "status": "draft"})
    assert response.status_code == 302
    assert Actor.objects.get().status == AuthorityStatus.DRAFT
