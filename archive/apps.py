from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = "News archive"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from archive import history, sqlite
        from archive.extraction import receivers as suggestion_receivers
        from archive.search import signals

        sqlite.connect()
        signals.connect()
        history.connect()
        suggestion_receivers.connect()
