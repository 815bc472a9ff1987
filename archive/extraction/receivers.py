"""Suggest again, after the commit, for every article whose title, body or dateline changed; and note
every write of an authority record, which makes the suggestions of every article stale.

The receivers only note which articles changed; one callback per
transaction does the work, so an import that saves many articles in one
transaction is read in one batch. A change of the authority records is not
followed by reading the whole archive inside the save: it only adds to the
records' version (``archive.services.authorities.authorities_changed``), and
stale suggestions are refreshed when an article is opened and by the worker.
"""

from django.db import transaction
from django.db.models.signals import post_delete, post_init, post_save

from archive.models import Actor, ActorName, Article, Place, PlaceName
from archive.services.authorities import authorities_changed
from archive.services.suggestions import suggest_for_articles

TEXT_FIELDS = ("title", "body", "dateline")


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
    schedule_suggestions([instance.pk])


def schedule_suggestions(article_ids) -> None:
    """Suggest for these articles once the current transaction commits (at once outside one).

    For writers that send no signals, such as bulk imports: call it with the
    ids of the articles created or whose text changed.
    """
    ids = {int(pk) for pk in article_ids if pk is not None}
    if not ids:
        return
    connection = transaction.get_connection()
    # One run per transaction; a callback that was rolled back (Django drops it) or already ran does not count.
    scheduled = getattr(connection, "_archive_suggest_callback", None)
    if (
        connection.in_atomic_block
        and scheduled is not None
        and not scheduled.ran
        and any(callback is scheduled for _, callback, _ in connection.run_on_commit)
    ):
        scheduled.article_ids |= ids
        return
    scheduled = SuggestOnCommit(ids)
    connection._archive_suggest_callback = scheduled
    transaction.on_commit(scheduled, robust=True)


class SuggestOnCommit:
    def __init__(self, article_ids: set[int]):
        self.article_ids = article_ids
        self.ran = False

    def __call__(self):
        self.ran = True
        suggest_for_articles(article_ids=self.article_ids)


def authority_written(sender, **kwargs):
    authorities_changed()


def connect() -> None:
    uid = "archive.extraction"
    post_init.connect(remember_text, sender=Article, dispatch_uid=f"{uid}.remember_text")
    post_save.connect(article_saved, sender=Article, dispatch_uid=f"{uid}.article_saved")
    for model in (Actor, Place, ActorName, PlaceName):
        name = model._meta.model_name
        post_save.connect(authority_written, sender=model, dispatch_uid=f"{uid}.{name}_saved")
        post_delete.connect(authority_written, sender=model, dispatch_uid=f"{uid}.{name}_deleted")
