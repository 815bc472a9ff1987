"""The archivists' workbench: one module per kind of record, actions that call services."""

from archive.admin import articles, authorities, imports

__all__ = ["articles", "authorities", "imports"]
