from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = "News archive"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from archive import history
        from archive.extraction import receivers as suggestion_receivers
        from archive.search import signals

        signals.connect()
        history.connect()
        suggestion_receivers.connect()
