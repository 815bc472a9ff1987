"""Helpers for the admin tests: users of each group, change-form data as the browser posts it, index look-ups."""

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission, User

from archive.models import Article, ArticleStatus
from archive.search import get_backend
from archive.search.base import SearchQuery

ALL_STATUSES = tuple(ArticleStatus.values)


def found(text: str, statuses: tuple[str, ...] = ALL_STATUSES) -> set[int]:
    """Ids of the articles the index returns for ``text`` among articles with these statuses."""
    results = get_backend().search(SearchQuery(text=text, statuses=statuses, per_page=100, highlight=False))
    return {hit.article_id for hit in results.hits}


def change_form_data(article: Article, **overrides) -> dict:
    """What the admin change form posts for this article, with some fields changed."""
    saved = article.pk is not None
    data = {
        "title": article.title,
        "slug": article.slug,
        "status": article.status,
        "body": article.body,
        "actors": [actor.pk for actor in article.actors.all()] if saved else [],
        "places": [place.pk for place in article.places.all()] if saved else [],
        "tags": ", ".join(article.tags.names()) if saved else "",
        "dateline": article.dateline,
        "dateline_place": article.dateline_place_id or "",
        "byline": article.byline,
        "source": article.source,
        "source_url": article.source_url,
        "language": article.language,
        "published_start": article.published_start or "",
        "published_end": article.published_end or "",
        "published_precision": article.published_precision,
        "published_at_0": "",
        "published_at_1": "",
        "duplicate_of": "",
        "version": article.version,
    }
    data.update(overrides)
    return data


def authority_form_data(record, names: list[str], prefix: str, **overrides) -> dict:
    """The actor or place change form with its alternate-names inline."""
    existing = list(record.alternate_names.all())
    data = {
        f"{prefix}-TOTAL_FORMS": len(existing) + len(names),
        f"{prefix}-INITIAL_FORMS": len(existing),
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }
    for i, alias in enumerate(existing):
        data.update({f"{prefix}-{i}-id": alias.pk, f"{prefix}-{i}-name": alias.name, f"{prefix}-{i}-kind": alias.kind})
    for j, name in enumerate(names, start=len(existing)):
        data.update({f"{prefix}-{j}-name": name, f"{prefix}-{j}-kind": "variant"})
    data.update(overrides)
    return data


def ensure_groups() -> None:
    """The groups as the data migration makes them; a transactional test elsewhere may have flushed them."""
    migration = importlib.import_module("archive.migrations.0005_archivist_and_editor_groups")
    if Group.objects.filter(name__in=migration.GROUPS).count() == len(migration.GROUPS):
        return
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    for name, codes in migration.GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *(Permission.objects.get(content_type__app_label=label, codename=code) for label, code in codes)
        )


def staff_user(username: str, group: str, password: str = "correct horse battery") -> User:
    """A staff member whose only rights come from one of the groups the data migration creates."""
    ensure_groups()
    user = User.objects.create_user(username, f"{username}@archive.example", password, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture(name="archivist")
def archivist_fixture():
    return staff_user("alma", "Archivist")


@pytest.fixture(name="editor")
def editor_fixture():
    return staff_user("eddie", "Editor")


def client_for(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client
