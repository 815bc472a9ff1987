"""The archivists' workbench: one module per kind of record, actions that call services."""

from archive.admin import articles, authorities, imports

__all__ = ["articles", "authorities", "imports"]

# Suggested access points: the review inline on the article page and the suggestion admin, in their own module.
from archive import admin_suggestions  # noqa: F401
