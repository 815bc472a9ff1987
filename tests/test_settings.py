"""Configuration comes from the environment, with safe defaults and one clear error per bad value.

Settings are read once at import, so each test imports them in a fresh
interpreter with exactly the environment it describes.
"""

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SETTINGS_VARIABLES = (
    "DATABASE_URL",
    "ARCHIVE_DATA_DIR",
    "DJANGO_SECRET_KEY",
    "DJANGO_DEBUG",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_SETTINGS_MODULE",
    "ARCHIVE_SEARCH_BACKEND",
    "ARCHIVE_LOGIN_FAILURE_LIMIT",
    "ARCHIVE_LOGIN_COOLOFF_MINUTES",
    "DJANGO_SECURE_SSL_REDIRECT",
    "DJANGO_HSTS_SECONDS",
    "DJANGO_HSTS_INCLUDE_SUBDOMAINS",
    "DJANGO_HSTS_PRELOAD",
    "DJANGO_SECURE_PROXY_SSL_HEADER",
    "DJANGO_CSRF_TRUSTED_ORIGINS",
    "DJANGO_LOG_FORMAT",
    "DJANGO_LOG_LEVEL",
    "ARCHIVE_MAX_ARTICLE_BYTES",
    "ARCHIVE_INDEX_WRITER_MB",
    "ARCHIVE_SEARCH_CACHE_MB",
    "ARCHIVE_SUGGEST_SHARED_FROM",
)

PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "tD8q-Zk2vN5wYp1rL7sF0hJ3mC9xB6gE4aU2iO8nQ5tW1yR7vK3zP0dS6fH9jM4l",
    "DJANGO_ALLOWED_HOSTS": "archive.example.org",
}

DUMP_SETTINGS = """
import json
from archive import settings
db = settings.DATABASES["default"]
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "SECRET_KEY": settings.SECRET_KEY,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "ARCHIVE_DATA_DIR": str(settings.ARCHIVE_DATA_DIR),
    "INDEX_PATH": str(settings.ARCHIVE_SEARCH["OPTIONS"]["PATH"]),
    "ENGINE": db["ENGINE"],
    "NAME": str(db["NAME"]),
    "USER": db.get("USER", ""),
    "HOST": db.get("HOST", ""),
    "PORT": db.get("PORT", ""),
    "LOGIN_FAILURE_LIMIT": settings.AXES_FAILURE_LIMIT,
    "LOGIN_COOLOFF": str(settings.AXES_COOLOFF_TIME),
    "LOGIN_LOCKOUT_PARAMETERS": settings.AXES_LOCKOUT_PARAMETERS,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": settings.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    "SECURE_HSTS_PRELOAD": settings.SECURE_HSTS_PRELOAD,
    "SECURE_PROXY_SSL_HEADER": settings.SECURE_PROXY_SSL_HEADER,
    "CSRF_TRUSTED_ORIGINS": settings.CSRF_TRUSTED_ORIGINS,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "STATICFILES_STORAGE": settings.STORAGES["staticfiles"]["BACKEND"],
    "LOG_FORMATTER": settings.LOGGING["handlers"]["console"]["formatter"],
    "LOG_LEVEL": settings.LOGGING["root"]["level"],
    "MAX_ARTICLE_BYTES": settings.ARCHIVE_MAX_ARTICLE_BYTES,
    "SEARCH_BACKEND": settings.ARCHIVE_SEARCH["BACKEND"],
    "SEARCH_OPTIONS": {key: value for key, value in settings.ARCHIVE_SEARCH["OPTIONS"].items() if key != "PATH"},
    "SUGGEST_SHARED_FROM": settings.ARCHIVE_SUGGEST_SHARED_FROM,
}))
"""


def load_settings(**environment: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in SETTINGS_VARIABLES}
    env.update(environment)
    return subprocess.run(
        [sys.executable, "-c", DUMP_SETTINGS], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )


def settings_from(**environment: str) -> dict:
    result = load_settings(**environment)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def error_from(**environment: str) -> str:
    """The last line of the traceback: the exception and its message."""
    result = load_settings(**environment)
    assert result.returncode != 0, result.stdout
    return result.stderr.strip().splitlines()[-1]


def test_defaults_give_a_self_contained_archive_under_var():
    """With no environment, the database is an SQLite file and the index a folder, both under var/."""
    config = settings_from()
    assert config["ARCHIVE_DATA_DIR"] == str(BASE_DIR / "var")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == str(BASE_DIR / "var" / "archive.sqlite3")
    assert config["INDEX_PATH"] == str(BASE_DIR / "var" / "index")


def test_debug_is_on_by_default_with_a_development_key():
    """A local checkout runs in debug mode with a key marked as insecure, and no secret to set up."""
    config = settings_from()
    assert config["DEBUG"] is True
    assert config["SECRET_KEY"].startswith("django-insecure-")


def test_default_allowed_hosts_are_local():
    """Without DJANGO_ALLOWED_HOSTS only local names and the test client are served."""
    assert settings_from()["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost", "testserver"]


def test_archive_data_dir_moves_the_database_and_the_index(tmp_path):
    """ARCHIVE_DATA_DIR holds both the default SQLite file and the Whoosh index."""
    config = settings_from(ARCHIVE_DATA_DIR=str(tmp_path))
    assert config["ARCHIVE_DATA_DIR"] == str(tmp_path.resolve())
    assert config["NAME"] == str(tmp_path.resolve() / "archive.sqlite3")
    assert config["INDEX_PATH"] == str(tmp_path.resolve() / "index")


def test_empty_archive_data_dir_falls_back_to_var():
    """An empty ARCHIVE_DATA_DIR counts as unset rather than meaning the current directory."""
    assert settings_from(ARCHIVE_DATA_DIR="")["ARCHIVE_DATA_DIR"] == str(BASE_DIR / "var")


def test_database_url_selects_postgresql():
    """A postgres:// DATABASE_URL is parsed into Django's PostgreSQL backend settings."""
    config = settings_from(DATABASE_URL="postgres://archivist@db.example.org:6543/newsroom")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"], config["HOST"], config["PORT"]) == (
        "newsroom",
        "archivist",
        "db.example.org",
        6543,
    )


def test_database_url_selects_an_sqlite_file(tmp_path):
    """An sqlite:/// DATABASE_URL points the archive at that file instead of the default."""
    database = tmp_path / "other.sqlite3"
    config = settings_from(DATABASE_URL=f"sqlite:///{database}")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == str(database)


def test_unknown_database_url_is_refused_with_a_clear_message():
    """A DATABASE_URL with an unknown scheme stops start-up naming the variable and an example."""
    assert error_from(DATABASE_URL="mongodb://localhost/archive") == (
        "django.core.exceptions.ImproperlyConfigured: DATABASE_URL must be a database URL such as "
        "postgres://user@host:5432/name or sqlite:////path/to/file.sqlite3"
    )


def test_the_search_engine_defaults_to_whoosh():
    """With no setting the archive needs no service: the Whoosh engine, files beside the database."""
    assert settings_from()["SEARCH_BACKEND"] == "archive.search.whoosh_backend.WhooshBackend"


def test_the_postgres_search_engine_is_chosen_by_name():
    """ARCHIVE_SEARCH_BACKEND=postgres with a PostgreSQL database selects the PostgreSQL engine."""
    chosen = settings_from(
        ARCHIVE_SEARCH_BACKEND="postgres", DATABASE_URL="postgres://archive@db.internal:5432/archive"
    )
    assert chosen["SEARCH_BACKEND"] == "archive.search.postgres_backend.PostgresBackend"


def test_the_postgres_search_engine_on_sqlite_is_refused_with_a_clear_message():
    """The PostgreSQL engine keeps its index in the database, so start-up stops if the database is SQLite."""
    assert error_from(ARCHIVE_SEARCH_BACKEND="postgres") == (
        "django.core.exceptions.ImproperlyConfigured: ARCHIVE_SEARCH_BACKEND=postgres keeps the search index in "
        "the database, so DATABASE_URL must be a PostgreSQL database such as postgres://user@host:5432/archive"
    )


def test_an_unknown_search_engine_is_refused_with_a_clear_message():
    """A misspelt engine name stops start-up naming the choices."""
    assert error_from(ARCHIVE_SEARCH_BACKEND="elastic") == (
        "django.core.exceptions.ImproperlyConfigured: ARCHIVE_SEARCH_BACKEND must be one of whoosh, postgres "
        "(or a backend class path), not 'elastic'"
    )


def test_debug_accepts_false_words():
    """DJANGO_DEBUG=off turns debug mode off (with a secret key set)."""
    assert settings_from(DJANGO_DEBUG="off", DJANGO_SECRET_KEY="s3cret-for-production")["DEBUG"] is False


def test_bad_debug_value_is_refused_with_a_clear_message():
    """A DJANGO_DEBUG that is neither true nor false stops start-up and quotes the value."""
    assert error_from(DJANGO_DEBUG="maybe") == (
        "django.core.exceptions.ImproperlyConfigured: DJANGO_DEBUG must be true or false, not 'maybe'"
    )


def test_secret_key_is_required_when_debug_is_off():
    """Production (debug off) never runs with the development key."""
    assert error_from(DJANGO_DEBUG="false") == (
        "django.core.exceptions.ImproperlyConfigured: DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off"
    )


def test_secret_key_comes_from_the_environment():
    """DJANGO_SECRET_KEY is used as given."""
    config = settings_from(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="s3cret-for-production")
    assert config["SECRET_KEY"] == "s3cret-for-production"


def test_allowed_hosts_are_split_on_commas_and_trimmed():
    """DJANGO_ALLOWED_HOSTS is a comma-separated list; spaces and empty items are ignored."""
    config = settings_from(DJANGO_ALLOWED_HOSTS=" archive.example.org, www.archive.example.org ,,")
    assert config["ALLOWED_HOSTS"] == ["archive.example.org", "www.archive.example.org"]


def test_login_throttling_defaults_lock_a_username_at_one_address_for_15_minutes():
    """By default five wrong passwords lock one username from one address, for fifteen minutes."""
    config = settings_from()
    assert config["LOGIN_FAILURE_LIMIT"] == 5
    assert config["LOGIN_COOLOFF"] == "0:15:00"
    assert config["LOGIN_LOCKOUT_PARAMETERS"] == [["username", "ip_address"]]


def test_login_throttling_comes_from_the_environment():
    """ARCHIVE_LOGIN_FAILURE_LIMIT and ARCHIVE_LOGIN_COOLOFF_MINUTES set the limit and the lock's length;
    a cool-off of 0 keeps the lock until an administrator lifts it."""
    config = settings_from(ARCHIVE_LOGIN_FAILURE_LIMIT="10", ARCHIVE_LOGIN_COOLOFF_MINUTES="60")
    assert (config["LOGIN_FAILURE_LIMIT"], config["LOGIN_COOLOFF"]) == (10, "1:00:00")
    assert settings_from(ARCHIVE_LOGIN_COOLOFF_MINUTES="0")["LOGIN_COOLOFF"] == "None"


def test_bad_login_failure_limit_is_refused_with_a_clear_message():
    """A limit that is not a whole number of at least one stops the start with the variable's name."""
    assert error_from(ARCHIVE_LOGIN_FAILURE_LIMIT="five") == (
        "django.core.exceptions.ImproperlyConfigured: ARCHIVE_LOGIN_FAILURE_LIMIT must be a whole number, not 'five'"
    )
    assert error_from(ARCHIVE_LOGIN_FAILURE_LIMIT="0") == (
        "django.core.exceptions.ImproperlyConfigured: ARCHIVE_LOGIN_FAILURE_LIMIT must be 1 or more, not 0"
    )


def test_production_passes_the_deployment_checklist(tmp_path):
    """With debug off, a long random key and allowed hosts, ``check --deploy`` finds nothing to warn about."""
    # The browser tests allow async-unsafe calls for the whole test process; production never does (async.W001).
    ignored = {*SETTINGS_VARIABLES, "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {key: value for key, value in os.environ.items() if key not in ignored}
    env.update(PRODUCTION, ARCHIVE_DATA_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stdout + result.stderr
    assert result.stdout == "System check identified no issues (0 silenced).\n"


def test_production_defaults_to_https_only():
    """With debug off, HTTP redirects to HTTPS, HSTS lasts a year with subdomains and preload, cookies are secure."""
    config = settings_from(**PRODUCTION)
    assert config["SECURE_SSL_REDIRECT"] is True
    assert (config["SECURE_HSTS_SECONDS"], config["SECURE_HSTS_INCLUDE_SUBDOMAINS"]) == (31_536_000, True)
    assert config["SECURE_HSTS_PRELOAD"] is True
    assert config["SESSION_COOKIE_SECURE"] is True


def test_debug_mode_keeps_plain_http():
    """In debug mode nothing redirects to HTTPS and no HSTS header is sent."""
    config = settings_from()
    assert (config["SECURE_SSL_REDIRECT"], config["SECURE_HSTS_SECONDS"], config["SESSION_COOKIE_SECURE"]) == (
        False,
        0,
        False,
    )


def test_https_switches_come_from_the_environment():
    """The redirect and each HSTS part can be switched off on their own, and HSTS given another lifetime."""
    config = settings_from(
        **PRODUCTION,
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_HSTS_SECONDS="3600",
        DJANGO_HSTS_INCLUDE_SUBDOMAINS="false",
        DJANGO_HSTS_PRELOAD="no",
    )
    assert config["SECURE_SSL_REDIRECT"] is False
    assert (config["SECURE_HSTS_SECONDS"], config["SECURE_HSTS_INCLUDE_SUBDOMAINS"]) == (3600, False)
    assert config["SECURE_HSTS_PRELOAD"] is False


def test_bad_hsts_seconds_is_refused_with_a_clear_message():
    """DJANGO_HSTS_SECONDS must be a number of seconds."""
    assert error_from(DJANGO_HSTS_SECONDS="a year") == (
        "django.core.exceptions.ImproperlyConfigured: DJANGO_HSTS_SECONDS must be a whole number, not 'a year'"
    )


def test_proxy_ssl_header_and_trusted_origins_come_from_the_environment():
    """Behind a TLS proxy, the header that marks HTTPS requests and the trusted origins are read as lists."""
    config = settings_from(
        DJANGO_SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO, https",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://archive.example.org, https://www.archive.example.org",
    )
    assert config["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert config["CSRF_TRUSTED_ORIGINS"] == ["https://archive.example.org", "https://www.archive.example.org"]


def test_proxy_ssl_header_without_a_value_is_refused_with_an_example():
    """A proxy header given without its HTTPS value stops start-up with an example of the right form."""
    assert error_from(DJANGO_SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO") == (
        "django.core.exceptions.ImproperlyConfigured: DJANGO_SECURE_PROXY_SSL_HEADER must be a header and its "
        "HTTPS value, such as HTTP_X_FORWARDED_PROTO,https"
    )


def test_production_serves_hashed_compressed_static_files_and_logs_json():
    """With debug off, static files are stored under hashed, compressed names and logs are JSON lines."""
    config = settings_from(**PRODUCTION)
    assert config["STATICFILES_STORAGE"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert config["LOG_FORMATTER"] == "json"


def test_debug_mode_logs_text_at_info():
    """In debug mode logs are plain text lines at INFO, and plain static storage needs no collectstatic."""
    config = settings_from()
    assert (config["LOG_FORMATTER"], config["LOG_LEVEL"]) == ("text", "INFO")
    assert config["STATICFILES_STORAGE"] == "django.contrib.staticfiles.storage.StaticFilesStorage"


def test_log_format_and_level_come_from_the_environment():
    """DJANGO_LOG_FORMAT picks json or text whatever the debug mode; DJANGO_LOG_LEVEL sets the level."""
    config = settings_from(DJANGO_LOG_FORMAT="json", DJANGO_LOG_LEVEL="WARNING")
    assert (config["LOG_FORMATTER"], config["LOG_LEVEL"]) == ("json", "WARNING")


def test_unknown_log_format_is_refused_with_a_clear_message():
    """A log format other than json or text stops start-up and quotes the value."""
    assert error_from(DJANGO_LOG_FORMAT="xml") == (
        "django.core.exceptions.ImproperlyConfigured: DJANGO_LOG_FORMAT must be json or text, not 'xml'"
    )


def test_the_article_size_limit_is_five_megabytes_by_default():
    """Without ARCHIVE_MAX_ARTICLE_BYTES an import takes articles of up to 5 MB (5,242,880 bytes)."""
    assert settings_from()["MAX_ARTICLE_BYTES"] == 5 * 1024 * 1024


def test_the_article_size_limit_comes_from_the_environment():
    """ARCHIVE_MAX_ARTICLE_BYTES is a number of bytes."""
    assert settings_from(ARCHIVE_MAX_ARTICLE_BYTES="20000000")["MAX_ARTICLE_BYTES"] == 20_000_000


def test_a_bad_article_size_limit_is_refused_with_a_clear_message():
    """A limit that is not a whole number of bytes stops start-up naming the variable."""
    assert error_from(ARCHIVE_MAX_ARTICLE_BYTES="5MB") == (
        "django.core.exceptions.ImproperlyConfigured: ARCHIVE_MAX_ARTICLE_BYTES must be a whole number, not '5MB'"
    )
    assert error_from(ARCHIVE_MAX_ARTICLE_BYTES="0") == (
        "django.core.exceptions.ImproperlyConfigured: ARCHIVE_MAX_ARTICLE_BYTES must be 1 or more, not 0"
    )


def test_index_and_suggestion_tuning_comes_from_the_environment_with_defaults():
    """Writer buffers, the postings cache and the size of a batch read on two cores are whole numbers."""
    defaults = settings_from()
    assert (defaults["SEARCH_OPTIONS"]["WRITER_MEMORY_MB"], defaults["SEARCH_OPTIONS"]["POSTINGS_CACHE_MB"]) == (16, 32)
    assert defaults["SUGGEST_SHARED_FROM"] == 64
    tuned = settings_from(ARCHIVE_INDEX_WRITER_MB="64", ARCHIVE_SEARCH_CACHE_MB="0", ARCHIVE_SUGGEST_SHARED_FROM="0")
    assert (tuned["SEARCH_OPTIONS"]["WRITER_MEMORY_MB"], tuned["SEARCH_OPTIONS"]["POSTINGS_CACHE_MB"]) == (64, 0)
    assert tuned["SUGGEST_SHARED_FROM"] == 0


def test_bad_tuning_values_are_refused_with_a_clear_message():
    """Each stops start-up naming the variable, instead of a bare ValueError from int()."""
    assert error_from(ARCHIVE_INDEX_WRITER_MB="lots") == (
        "django.core.exceptions.ImproperlyConfigured: ARCHIVE_INDEX_WRITER_MB must be a whole number, not 'lots'"
    )
    assert error_from(ARCHIVE_INDEX_WRITER_MB="0") == (
        "django.core.exceptions.ImproperlyConfigured: ARCHIVE_INDEX_WRITER_MB must be 1 or more, not 0"
    )
    assert error_from(ARCHIVE_SEARCH_CACHE_MB="-1") == (
        "django.core.exceptions.ImproperlyConfigured: ARCHIVE_SEARCH_CACHE_MB must be 0 or more, not -1"
    )
    assert error_from(ARCHIVE_SUGGEST_SHARED_FROM="half") == (
        "django.core.exceptions.ImproperlyConfigured: ARCHIVE_SUGGEST_SHARED_FROM must be a whole number, not 'half'"
    )


# Read by the programs the archive runs, not by its own code; documented all the same.
READ_BY_TOOLS = {"GUNICORN_CMD_ARGS"}


def _environ(node) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ"


def variables_read_in_python(path: Path) -> set[str]:
    """Names passed to os.environ.get / [] / in, os.getenv, or the settings' env_bool and env_int helpers."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            function = node.func
            if (
                (isinstance(function, ast.Attribute) and function.attr == "get" and _environ(function.value))
                or (isinstance(function, ast.Attribute) and function.attr == "getenv")
                or (isinstance(function, ast.Name) and function.id.startswith("env_"))
            ):
                found.add(node.args[0].value)
        elif isinstance(node, ast.Subscript) and _environ(node.value) and isinstance(node.slice, ast.Constant):
            found.add(node.slice.value)
        elif (
            isinstance(node, ast.Compare)
            and isinstance(node.left, ast.Constant)
            and any(map(_environ, node.comparators))
        ):
            found.add(node.left.value)
    return found


def variables_read_in_makefile(path: Path) -> set[str]:
    """Upper-case make and shell variables the Makefile uses but does not set itself (``?=`` only sets a default)."""
    text = path.read_text()
    used = set(re.findall(r"\$\(([A-Z][A-Z0-9_]*)\)", text)) | set(re.findall(r"\$\$\{?([A-Z][A-Z0-9_]*)", text))
    assigned = set(re.findall(r"^([A-Z][A-Z0-9_]*)\s*(?::=|::=|\+=|=)", text, flags=re.MULTILINE))
    return used - assigned - {"MAKE", "SHELL", "MAKEFLAGS", "CURDIR"}


def documented_variables() -> set[str]:
    """The first column of the table under the README's *Configuration*."""
    readme = (BASE_DIR / "README.md").read_text()
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", section, flags=re.MULTILINE))


def test_every_environment_variable_the_archive_reads_is_in_the_readmes_table():
    """The Configuration table names every variable read in archive/, gunicorn.conf.py and the Makefile; no other."""
    sources = [*sorted((BASE_DIR / "archive").rglob("*.py")), BASE_DIR / "gunicorn.conf.py", BASE_DIR / "manage.py"]
    read = set().union(*(variables_read_in_python(path) for path in sources))
    read |= variables_read_in_makefile(BASE_DIR / "Makefile")
    assert {"DATABASE_URL", "GUNICORN_THREADS", "TEST_DATABASE_URL", "ARCHIVE_DATA_DIR"} <= read
    documented = documented_variables()
    assert sorted(read - documented) == [], "read in the code but missing from the README's Configuration table"
    assert sorted(documented - read - READ_BY_TOOLS) == [], "in the README's Configuration table but read nowhere"
