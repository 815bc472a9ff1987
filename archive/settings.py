"""Settings for the news archive.

Everything that differs between a laptop and production comes from the
environment; the defaults give a self-contained archive (SQLite and a local
Whoosh index under ``var/``) that needs no other service.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_count(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if not value.strip().isdigit() or int(value) < 1:
        raise ImproperlyConfigured(f"{name} must be a whole number of at least 1, not {value!r}")
    return int(value)


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off")
    SECRET_KEY = "django-insecure-development-key-only-for-local-use"

ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if host.strip()
]

ARCHIVE_DATA_DIR = Path(os.environ.get("ARCHIVE_DATA_DIR") or BASE_DIR / "var").resolve()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "taggit",
    "simple_history",
    "rest_framework",
    "drf_spectacular",
    "archive.apps.ArchiveConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "archive.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "archive.wsgi.application"

try:
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ.get("DATABASE_URL") or f"sqlite:///{ARCHIVE_DATA_DIR / 'archive.sqlite3'}",
            conn_max_age=60,
        )
    }
except ValueError as exc:
    raise ImproperlyConfigured(
        "DATABASE_URL must be a database URL such as postgres://user@host:5432/name or sqlite:////path/to/file.sqlite3"
    ) from exc
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while an import writes; the timeout rides out short write locks.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = ARCHIVE_DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]

TAGGIT_CASE_INSENSITIVE = True

# The public JSON API under /api/: read-only, anonymous, paginated, described by OpenAPI.
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "News archive API",
    "DESCRIPTION": "Read-only access to the archive's published articles, actors, places and tags.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "ENUM_NAME_OVERRIDES": {"ActorType": "archive.models.ActorType", "PlaceType": "archive.models.PlaceType"},
}

# The search engine, resolved lazily by archive.search.get_backend().
ARCHIVE_SEARCH = {
    "BACKEND": os.environ.get("ARCHIVE_SEARCH_BACKEND", "archive.search.whoosh_backend.WhooshBackend"),
    "OPTIONS": {
        "PATH": ARCHIVE_DATA_DIR / "index",
        # Seconds a save waits for another process's index lock before queueing its update.
        "LOCK_TIMEOUT": 5.0,
        # Buffer of each index writer process; imports and rebuilds run one per core.
        "WRITER_MEMORY_MB": int(os.environ.get("ARCHIVE_INDEX_WRITER_MB", "16")),
        # Decoded postings of recently searched words, per searching process (0 turns the cache off).
        "POSTINGS_CACHE_MB": int(os.environ.get("ARCHIVE_SEARCH_CACHE_MB", "32")),
    },
}

# Seconds before a process retries index updates that found the index locked; None leaves them
# to the next commit or to ``process_index_queue``.
ARCHIVE_INDEX_RETRY_SECONDS = 3.0

# A batch of suggestions with at least this many articles is read on two cores, half of it by a forked
# helper process (archive.extraction.batch); 0 reads every batch in the one process.
ARCHIVE_SUGGEST_SHARED_FROM = int(os.environ.get("ARCHIVE_SUGGEST_SHARED_FROM", "64"))

# The most one article may hold, in bytes: a one-article file, or one record of a JSON Lines, CSV or
# Reuters file. Larger ones are refused, before they are read whole, with a message naming them.
ARCHIVE_MAX_ARTICLE_BYTES = env_count("ARCHIVE_MAX_ARTICLE_BYTES", 5 * 1024 * 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"archive": {"handlers": ["console"], "level": os.environ.get("ARCHIVE_LOG_LEVEL", "INFO")}},
}
