"""Suggest again, after the commit, for every article whose title, body or dateline changed.

The receivers only note which articles changed; one callback per
transaction does the work, so an import that saves many articles in one
transaction is read in one batch.
"""

import threading

from django.db import transaction
from django.db.models.signals import post_init, post_save

from archive.models import Article
from archive.services.suggestions import suggest_for_articles

TEXT_FIELDS = ("title", "body", "dateline")
_local = threading.local()


def _text(instance: Article) -> tuple:
    # Read from __dict__: a deferred field must not cost a query on every load.
    return tuple(instance.__dict__.get(name) for name in TEXT_FIELDS)


def remember_text(sender, instance, **kwargs):
    instance._suggestion_text = _text(instance)


def article_saved(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if raw or (update_fields is not None and not set(update_fields) & set(TEXT_FIELDS)):
        return
    current = _text(instance)
    if not created and getattr(instance, "_suggestion_text", None) == current:
        return
    instance._suggestion_text = current
    _schedule(instance.pk)


def _schedule(article_id: int) -> None:
    connection = transaction.get_connection()
    registered = connection.in_atomic_block and any(
        callback is _suggest_after_commit for _, callback, _ in connection.run_on_commit
    )
    if not registered:
        _local.pending = set()
    _local.pending.add(article_id)
    if not registered:
        transaction.on_commit(_suggest_after_commit, robust=True)


def _suggest_after_commit() -> None:
    ids, _local.pending = _local.pending, set()
    suggest_for_articles(article_ids=ids)


def connect() -> None:
    uid = "archive.extraction"
    post_init.connect(remember_text, sender=Article, dispatch_uid=f"{uid}.remember_text")
    post_save.connect(article_saved, sender=Article, dispatch_uid=f"{uid}.article_saved")
