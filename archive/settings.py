"""Settings for the news archive.

Everything that differs between a laptop and production comes from the
environment; the defaults give a self-contained archive (SQLite and a local
Whoosh index under ``var/``) that needs no other service.
"""

import datetime as dt
import os
import re
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


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be {minimum} or more, not {number}")
    return number


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
    "taggit",
    "simple_history",
    "rest_framework",
    "drf_spectacular",
    "archive.apps.ArchiveConfig",
    # After the archive, whose collectstatic (one process at a time) takes the place of this app's.
    "django.contrib.staticfiles",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "archive.middleware.SearchUnavailableMiddleware",
    # Last, as django-axes asks: it turns a refused login into the lockout response.
    "axes.middleware.AxesMiddleware",
]

# django-axes first: it refuses a locked-out login before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
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
# The timeout rides out short write locks; archive.sqlite switches each new file to WAL.
SQLITE_OPTIONS = {"timeout": 20, "init_command": "PRAGMA synchronous=NORMAL;", "transaction_mode": "IMMEDIATE"}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = dict(SQLITE_OPTIONS)
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Login throttling (django-axes): after this many wrong passwords in a row for one username from one
# address, that username is locked out from that address, even with the right password.
AXES_FAILURE_LIMIT = env_int("ARCHIVE_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# Logs name the username and address, which an administrator needs to act on a lockout (the
# failure records in the database hold them anyway); passwords are never logged.
AXES_SENSITIVE_PARAMETERS = []
# The address is the connection's own: X-Forwarded-For is written by the client, and trusting it
# would let an attacker pick a new address for every guess.
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
_LOGIN_COOLOFF_MINUTES = env_int("ARCHIVE_LOGIN_COOLOFF_MINUTES", 15)
# 0 keeps a locked account locked until `manage.py axes_reset_username NAME` unlocks it.
AXES_COOLOFF_TIME = dt.timedelta(minutes=_LOGIN_COOLOFF_MINUTES) if _LOGIN_COOLOFF_MINUTES else None
AXES_COOLOFF_MESSAGE = (
    f"Too many failed logins: this account is locked for {_LOGIN_COOLOFF_MINUTES} minutes. "
    "Try again later, or ask an administrator to unlock it."
)
AXES_PERMALOCK_MESSAGE = "Too many failed logins: this account is locked until an administrator unlocks it."

# HTTPS and browser protections: on whenever DEBUG is off (``manage.py check --deploy`` passes with
# the defaults), each switchable from the environment. Behind a TLS-terminating proxy, set
# DJANGO_SECURE_PROXY_SSL_HEADER so Django knows which requests came in over HTTPS.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# A load balancer probes the health endpoint over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", not DEBUG)
SECURE_PROXY_SSL_HEADER = None
if os.environ.get("DJANGO_SECURE_PROXY_SSL_HEADER"):
    header, _, value = os.environ["DJANGO_SECURE_PROXY_SSL_HEADER"].partition(",")
    if not header.strip() or not value.strip():
        raise ImproperlyConfigured(
            "DJANGO_SECURE_PROXY_SSL_HEADER must be a header and its HTTPS value, such as HTTP_X_FORWARDED_PROTO,https"
        )
    SECURE_PROXY_SSL_HEADER = (header.strip(), value.strip())
CSRF_TRUSTED_ORIGINS = [
    origin.strip() for origin in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if origin.strip()
]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

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

# Static files are served by WhiteNoise from the web process. In production they come from
# STATIC_ROOT under content-hashed, pre-compressed names (``collectstatic`` writes them), so they can
# be cached for ever; in debug mode (and in tests) they are read straight from the apps and
# STATICFILES_DIRS, so no ``collectstatic`` is needed.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

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

# The search engine, resolved lazily by archive.search.get_backend(): ``whoosh`` (files in
# ARCHIVE_DATA_DIR, one machine) or ``postgres`` (a table in the database, shared by every server).
SEARCH_ENGINES = {
    "whoosh": "archive.search.whoosh_backend.WhooshBackend",
    "postgres": "archive.search.postgres_backend.PostgresBackend",
}
_search_engine = os.environ.get("ARCHIVE_SEARCH_BACKEND", "whoosh").strip() or "whoosh"
if _search_engine not in SEARCH_ENGINES and "." not in _search_engine:
    raise ImproperlyConfigured(
        f"ARCHIVE_SEARCH_BACKEND must be one of {', '.join(SEARCH_ENGINES)} (or a backend class path), "
        f"not {_search_engine!r}"
    )
if (
    SEARCH_ENGINES.get(_search_engine, _search_engine) == SEARCH_ENGINES["postgres"]
    and DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql"
):
    raise ImproperlyConfigured(
        "ARCHIVE_SEARCH_BACKEND=postgres keeps the search index in the database, so DATABASE_URL must be a "
        "PostgreSQL database such as postgres://user@host:5432/archive"
    )
ARCHIVE_SEARCH = {
    "BACKEND": SEARCH_ENGINES.get(_search_engine, _search_engine),
    "OPTIONS": {
        "PATH": ARCHIVE_DATA_DIR / "index",
        # Seconds a save waits for another process's index lock before queueing its update.
        "LOCK_TIMEOUT": 5.0,
        # Buffer of each index writer process; imports and rebuilds run one per core.
        "WRITER_MEMORY_MB": env_int("ARCHIVE_INDEX_WRITER_MB", 16, minimum=1),
        # Decoded postings of recently searched words, per searching process (0 turns the cache off).
        "POSTINGS_CACHE_MB": env_int("ARCHIVE_SEARCH_CACHE_MB", 32),
    },
}

# The OAI-PMH provider at /oai/ (README, "OAI-PMH"). NAMESPACE names the records (oai:NAMESPACE:articles/ID):
# a domain name of the archive's, kept for ever once harvesters have seen it.
ARCHIVE_OAI = {
    "REPOSITORY_NAME": os.environ.get("ARCHIVE_OAI_REPOSITORY_NAME") or "News archive",
    "NAMESPACE": os.environ.get("ARCHIVE_OAI_NAMESPACE") or "archive.example.org",
    "ADMIN_EMAILS": [
        email.strip()
        for email in (os.environ.get("ARCHIVE_OAI_ADMIN_EMAIL") or "archivist@archive.example.org").split(",")
        if email.strip()
    ],
    # Records (or headers, or sets) per response; the resumption token carries the harvester to the next.
    "PAGE_SIZE": env_int("ARCHIVE_OAI_PAGE_SIZE", 100, minimum=1),
    "TOKEN_LIFETIME": dt.timedelta(hours=env_int("ARCHIVE_OAI_TOKEN_HOURS", 24, minimum=1)),
}
if not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*(\.[A-Za-z][A-Za-z0-9-]*)+", ARCHIVE_OAI["NAMESPACE"]):
    raise ImproperlyConfigured(
        f"ARCHIVE_OAI_NAMESPACE must be a domain name such as archive.example.org, not {ARCHIVE_OAI['NAMESPACE']!r}"
    )
for _email in ARCHIVE_OAI["ADMIN_EMAILS"]:
    if not re.fullmatch(r"\S+@(\S+\.)+\S+", _email):
        raise ImproperlyConfigured(
            f"ARCHIVE_OAI_ADMIN_EMAIL must be e-mail addresses separated by commas, not {_email!r}"
        )

# Seconds before a process retries index updates that found the index locked; None leaves them
# to the next commit or to ``process_index_queue``.
ARCHIVE_INDEX_RETRY_SECONDS = 3.0

# A batch of suggestions with at least this many articles is read on two cores, half of it by a forked
# helper process (archive.extraction.batch); 0 reads every batch in the one process.
ARCHIVE_SUGGEST_SHARED_FROM = env_int("ARCHIVE_SUGGEST_SHARED_FROM", 64)

# Logs go to stdout, for the process manager to collect: one JSON object a line in production,
# readable lines in debug mode.
LOG_FORMAT = os.environ.get("DJANGO_LOG_FORMAT") or ("text" if DEBUG else "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"DJANGO_LOG_FORMAT must be json or text, not {LOG_FORMAT!r}")
LOG_LEVEL = os.environ.get("DJANGO_LOG_LEVEL") or "INFO"

# The most one article may hold, in bytes: a one-article file, or one record of a JSON Lines, CSV or
# Reuters file. Larger ones are refused, before they are read whole, with a message naming them.
ARCHIVE_MAX_ARTICLE_BYTES = env_int("ARCHIVE_MAX_ARTICLE_BYTES", 5 * 1024 * 1024, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "archive.logging.JSONFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own console handler would print its records a second time, without the format.
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "archive": {"level": os.environ.get("ARCHIVE_LOG_LEVEL") or LOG_LEVEL},
        # Every failed login and every lockout, as warnings naming the username and address.
        "axes": {"level": "WARNING"},
    },
}
