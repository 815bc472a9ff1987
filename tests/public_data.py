"""Realistic rows for the public-site tests: an article described like the seed, and its access points."""

import datetime as dt
from dataclasses import dataclass

from archive.models import Actor, ActorType, Article, ArticleStatus, DatePrecision, Place, PlaceType
from tests.factories import ActorFactory, ActorNameFactory, ArticleFactory, PlaceFactory

SEED_TITLE = "Italy agrees to let US armed drones fly from Sigonella against Islamic State in Libya"
SEED_BODY = (
    "Italian and US officials agreed on Monday that armed drones may take off from the Sigonella air base "
    "in Sicily for missions over Libya.\n\n"
    "The agreement followed a year of negotiation. Rome will decide on each mission, and the drones are to be "
    "used only for defensive purposes, to protect coalition special forces on the ground.\n\n"
    "Last week a US strike near Sabratha, close to the Tunisian border, targeted Noureddine Chouchane."
)


@dataclass
class SeedWorld:
    article: Article
    islamic_state: Actor
    italy_state: Actor
    united_states: Actor
    chouchane: Actor
    italy: Place
    sicily: Place
    sigonella: Place
    libya: Place
    sabratha: Place


def seed_world() -> SeedWorld:
    """The seed article's access points and the article itself, published, dated 24 February 2016."""
    islamic_state = ActorFactory(name="Islamic State", type=ActorType.ARMED_GROUP)
    for alias in ("ISIS", "ISIL", "Daesh"):
        ActorNameFactory(actor=islamic_state, name=alias)
    italy_state = ActorFactory(name="Italy", type=ActorType.STATE)
    united_states = ActorFactory(name="United States", type=ActorType.STATE)
    chouchane = ActorFactory(name="Noureddine Chouchane", type=ActorType.PERSON)
    italy = PlaceFactory(name="Italy", type=PlaceType.COUNTRY, country_code="IT", latitude=42.83, longitude=12.83)
    sicily = PlaceFactory(name="Sicily", type=PlaceType.REGION, parent=italy, latitude=37.6, longitude=14.02)
    sigonella = PlaceFactory(
        name="Sigonella Naval Air Station", type=PlaceType.SITE, parent=sicily, latitude=37.4017, longitude=14.9222
    )
    libya = PlaceFactory(name="Libya", type=PlaceType.COUNTRY, country_code="LY", latitude=26.34, longitude=17.23)
    sabratha = PlaceFactory(name="Sabratha", type=PlaceType.CITY, parent=libya, latitude=32.79, longitude=12.48)
    article = ArticleFactory(
        title=SEED_TITLE,
        slug="italy-agrees-us-armed-drones-sigonella",
        byline="Staff Writer",
        source="International Business Times",
        body=SEED_BODY,
        published_start=dt.date(2016, 2, 24),
        published_at=dt.datetime(2016, 2, 24, 10, 42, tzinfo=dt.UTC),
        actors=[islamic_state, italy_state, united_states, chouchane],
        places=[sigonella, libya, sabratha],
        tags=["drones", "airbase", "counter-terrorism"],
    )
    return SeedWorld(
        article, islamic_state, italy_state, united_states, chouchane, italy, sicily, sigonella, libya, sabratha
    )


def dated_article(day: dt.date, **kwargs) -> Article:
    return ArticleFactory(published_start=day, published_end=day, **kwargs)


def month_article(year: int, month: int, end_day: int, **kwargs) -> Article:
    """An article dated only to a month: its range covers the whole month."""
    return ArticleFactory(
        published_start=dt.date(year, month, 1),
        published_end=dt.date(year, month, end_day),
        published_precision=DatePrecision.MONTH,
        **kwargs,
    )


def draft(**kwargs) -> Article:
    return ArticleFactory(status=ArticleStatus.DRAFT, **kwargs)
