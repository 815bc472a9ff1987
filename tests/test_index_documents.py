"""What the index document of an article holds, and what building many of them costs."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from archive.models import Article
from archive.search.documents import article_document, article_documents
from tests.factories import ActorFactory, ActorNameFactory, ArticleFactory, PlaceFactory, PlaceNameFactory

pytestmark = pytest.mark.django_db


def test_a_place_brings_its_ancestors_names_and_country():
    """An article about an air base is about its region and country too, under every name they have."""
    italy = PlaceFactory(name="Italy", type="country", country_code="IT")
    PlaceNameFactory(place=italy, name="Italia")
    sicily = PlaceFactory(name="Sicily", type="region", parent=italy)
    base = PlaceFactory(name="Sigonella", type="site", parent=sicily)
    document = article_document(ArticleFactory(places=[base]))
    assert document["place_ids"] == sorted([italy.pk, sicily.pk, base.pk])
    assert document["place_names"] == ["Italia", "Italy", "Sicily", "Sigonella"]
    assert document["country_codes"] == ["it"]


def test_a_cycle_of_parents_ends_the_chain():
    """Places edited into a loop still give each place once, instead of looping."""
    north = PlaceFactory(name="North")
    south = PlaceFactory(name="South", parent=north)
    north.parent = south
    north.save()
    assert article_document(ArticleFactory(places=[south]))["place_names"] == ["North", "South"]


def test_actors_bring_their_alternate_names():
    islamic_state = ActorFactory(name="Islamic State", type="armed_group")
    ActorNameFactory(actor=islamic_state, name="Daesh")
    document = article_document(ArticleFactory(actors=[islamic_state], tags=["Drones"]))
    assert document["actor_names"] == ["Daesh", "Islamic State"]
    assert (document["tags"], document["tag_names"]) == (["drones"], ["Drones"])


def test_many_documents_cost_the_same_queries_as_a_few():
    """Imports and rebuilds build thousands of documents a batch; the queries must not grow with them."""
    country = PlaceFactory(name="Japan", type="country", country_code="JP")
    actor = ActorFactory(name="Bank of Japan")

    def queries_for(count):
        ids = [ArticleFactory(places=[country], actors=[actor], tags=["money"]).pk for _ in range(count)]
        with CaptureQueriesContext(connection) as captured:
            documents = article_documents(Article.objects.filter(pk__in=ids).order_by("pk"))
        assert [document["id"] for document in documents] == ids
        return len(captured)

    assert queries_for(2) == queries_for(12)
