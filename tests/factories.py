"""Factories for realistic archive rows (factory_boy)."""

import datetime as dt

import factory
from django.utils.text import slugify

from archive.models import (
    Actor,
    ActorName,
    ActorType,
    Article,
    ArticleStatus,
    AuthorityStatus,
    DatePrecision,
    Place,
    PlaceName,
    PlaceType,
)


class ActorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Actor
        django_get_or_create = ("name", "type")

    name = factory.Sequence(lambda n: f"Ministry of Defence {n}")
    type = ActorType.ORGANISATION
    status = AuthorityStatus.PUBLISHED


class ActorNameFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActorName

    actor = factory.SubFactory(ActorFactory)
    name = factory.Sequence(lambda n: f"MoD {n}")


class PlaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Place

    name = factory.Sequence(lambda n: f"Town {n}")
    type = PlaceType.CITY
    status = AuthorityStatus.PUBLISHED


class PlaceNameFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlaceName

    place = factory.SubFactory(PlaceFactory)
    name = factory.Sequence(lambda n: f"Old Town {n}")


class ArticleFactory(factory.django.DjangoModelFactory):
    """A published article dated to the day; pass ``actors``, ``places`` and ``tags`` as lists."""

    class Meta:
        model = Article
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Coalition talks continue in Brussels, day {n}")
    slug = factory.LazyAttributeSequence(lambda o, n: f"{slugify(o.title)[:200]}-{n}")
    byline = "Staff Writer"
    source = "Example Wire"
    body = "Officials met on Monday to discuss the coordination of maritime patrols in the Mediterranean."
    status = ArticleStatus.PUBLISHED
    published_start = dt.date(2016, 2, 24)
    published_end = factory.SelfAttribute("published_start")
    published_precision = DatePrecision.DAY
    checksum = factory.Sequence(lambda n: f"{n:064x}")

    @factory.post_generation
    def actors(self, create, extracted, **kwargs):
        if create and extracted:
            self.actors.add(*extracted)

    @factory.post_generation
    def places(self, create, extracted, **kwargs):
        if create and extracted:
            self.places.add(*extracted)

    @factory.post_generation
    def tags(self, create, extracted, **kwargs):
        if create and extracted:
            self.tags.add(*extracted)
