"""Suggestions while typing: published access points and title words, never drafts."""

import pytest

from tests.factories import ActorFactory, ArticleFactory
from tests.public_data import draft

pytestmark = pytest.mark.django_db


def suggest(client, typed: str) -> list[tuple[str, str, str]]:
    data = client.get("/search/suggest", {"q": typed}).json()
    return [(item["kind"], item["label"], item["value"]) for item in data["suggestions"]]


def test_actor_suggested_by_an_alternate_name(client, world):
    """Typing the start of 'Daesh' suggests the Islamic State as an actor filter."""
    assert ("actor", "Islamic State", str(world.islamic_state.pk)) in suggest(client, "Dae")


def test_place_and_tag_suggestions(client, world):
    """Places and tags starting with what was typed are suggested with their filter values."""
    assert ("place", "Sigonella Naval Air Station", str(world.sigonella.pk)) in suggest(client, "sigon")
    assert ("tag", "drones", "drones") in suggest(client, "dro")


def test_title_words_are_suggested_and_keep_earlier_words(client, world):
    """The last word typed is completed from title words; earlier words are kept."""
    assert ("word", "armed drones", "armed drones") in suggest(client, "armed dro")


def test_nothing_from_drafts_is_suggested(client, world, indexed):
    """Actors and tags only on drafts, draft actors and draft-only title words are not suggested."""
    indexed(lambda: draft(title="Zarqawi network", actors=[ActorFactory(name="Zarqawi network")], tags=["zarqa"]))
    ActorFactory(name="Zarqa militia", status="draft")
    assert suggest(client, "zarq") == []


def test_short_input_gets_no_suggestions(client, world):
    """One character is too little to suggest anything."""
    assert suggest(client, "s") == []


def test_null_character_gets_no_suggestions(client, world):
    """What was typed with a null character in it matches no name, on every database."""
    assert suggest(client, "dro\x00") == []


def test_suggestions_need_published_articles(client, world, indexed):
    """A published actor with no published article is not suggested."""
    ActorFactory(name="Italian Navy")
    indexed(lambda: ArticleFactory(title="Italian coast guard rescue"))
    labels = [label for _, label, _ in suggest(client, "Itali")]
    assert "Italian Navy" not in labels
    assert "italian" in labels
