"""Real processes for the production tests: a host's environment, its manage.py commands, gunicorn on loopback,
and a browser that logs in and fills the admin's forms over HTTP."""

import html
import http.client
import os
import re
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
START_SECONDS = 30.0
COMMAND_SECONDS = 180.0
REQUEST_SECONDS = 30.0
SECRET_KEY = "eK4-pW9zR2mT7vY1qL5sX8cN3bH6jF0gD2aU9iO4nE7tQ1yB5wZ8rV3kM6lP0dS"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_env(data_dir: Path, **variables: str) -> dict:
    """The environment of one production host: debug off, its own data folder, SQLite there unless
    ``DATABASE_URL`` is given, one gunicorn worker with two threads."""
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "ARCHIVE_SEARCH_BACKEND"}}
    env.update(
        ARCHIVE_DATA_DIR=str(data_dir),
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=SECRET_KEY,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        HOST="127.0.0.1",
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="2",
    )
    env.update(variables)
    return env


def manage_process(env: dict, *args: str, log: Path) -> subprocess.Popen:
    """``manage.py`` started in the background, its output going to ``log``."""
    with open(log, "w") as output:
        return subprocess.Popen(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )


def manage(env: dict, *args: str) -> str:
    """Run ``manage.py`` as the host's shell would; its output, which must end in success."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_SECONDS,
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}"
    return done.stdout


def start_gunicorn(env: dict, log: Path) -> tuple[subprocess.Popen, int]:
    """gunicorn with ``gunicorn.conf.py`` on a free loopback port, listening when this returns."""
    port = free_port()
    with open(log, "w") as output:
        process = subprocess.Popen(
            [str(GUNICORN), "--config", "gunicorn.conf.py"],
            cwd=ROOT,
            env={**env, "PORT": str(port)},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, port
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                stop(process)
                raise AssertionError(f"gunicorn did not start listening on {port}:\n{log.read_text()}") from None
            time.sleep(0.2)


def stop(process: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL if gunicorn has not finished within its graceful time."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=START_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=START_SECONDS)


@contextmanager
def gunicorn(env: dict, log: Path):
    """The port of a running gunicorn, always stopped afterwards."""
    process, port = start_gunicorn(env, log)
    try:
        yield port
    finally:
        stop(process)


class Page:
    def __init__(self, status: int, headers: http.client.HTTPMessage, text: str):
        self.status, self.headers, self.text = status, headers, text

    def form(self, containing: str) -> list[tuple[str, str]]:
        """The fields of the first form holding a field named ``containing``, as a browser would submit them."""
        reader = FormReader()
        reader.feed(self.text)
        for fields in reader.forms:
            if any(name == containing for name, _ in fields):
                return fields
        raise AssertionError(f"no form with a {containing!r} field on this page:\n{self.text[:2000]}")

    def titles(self) -> list[str]:
        """The titles of the search results, as listed."""
        return [
            html.unescape(title) for title in re.findall(r'<h3 class="result-title"><a [^>]*>([^<]*)</a>', self.text)
        ]

    def facet(self, key: str) -> dict[str, int]:
        """A facet's options and their counts (``key``: actor, place, tag, source, year or month)."""
        section = re.search(rf'<section class="facet" aria-labelledby="facet-{key}">(.*?)</section>', self.text, re.S)
        if section is None:
            return {}
        options = re.findall(
            r'<span class="facet-label">([^<]*)(?:<span class="detail">[^<]*</span>)?</span> <span class="count">(\d+)',
            section.group(1),
        )
        return {html.unescape(label): int(count) for label, count in options}

    def chips(self, kind: str) -> dict[str, str]:
        """The access points shown under the results (``kind``: actor or place): each name and its id."""
        found = re.findall(rf'<a class="chip chip-{kind}" href="/search/\?{kind}=(\d+)">([^<]*)</a>', self.text)
        return {html.unescape(name): pk for pk, name in found}

    def errors(self) -> list[str]:
        """What the admin lists as errors on a form it refused."""
        return [
            html.unescape(re.sub(r"<[^>]+>", " ", item)).strip()
            for item in re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', self.text, re.S)
        ]


class Browser:
    """One visitor of one server, behind the TLS proxy production runs behind: requests arrive over plain
    HTTP marked ``X-Forwarded-Proto: https``, and cookies are kept as a browser keeps them."""

    def __init__(self, port: int):
        self.port, self.cookies = port, {}

    def request(self, method: str, path: str, fields: list[tuple[str, str]] | None = None) -> Page:
        headers = {"X-Forwarded-Proto": "https", "Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if fields is not None:
            body = urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"https://127.0.0.1:{self.port}"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_SECONDS)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8")
        finally:
            connection.close()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        return Page(response.status, response.headers, text)

    def get(self, path: str, **params) -> Page:
        return self.request("GET", f"{path}?{urlencode(params, doseq=True)}" if params else path)

    def post(self, path: str, fields: list[tuple[str, str]]) -> Page:
        return self.request("POST", path, fields)

    def log_in(self, username: str, password: str) -> None:
        """Through the admin's login form, with its CSRF token."""
        form = dict(self.get("/admin/login/").form("csrfmiddlewaretoken"))
        page = self.post(
            "/admin/login/?next=/admin/",
            [("csrfmiddlewaretoken", form["csrfmiddlewaretoken"]), ("username", username), ("password", password)],
        )
        assert (page.status, page.headers["Location"]) == (302, "/admin/"), page.errors() or page.text[:2000]

    def submit(self, path: str, containing: str, changes: dict, *, button: str = "", page: Page | None = None) -> Page:
        """Fill the form holding a field ``containing`` with ``changes`` and submit it to ``path``, pressing
        ``button``; the form is read from ``page``, or else from ``path`` opened first."""
        page = page or self.get(path)
        fields = [(name, value) for name, value in page.form(containing) if name not in changes]
        for name, value in changes.items():
            fields += [(name, str(item)) for item in value] if isinstance(value, list) else [(name, str(value))]
        if button:
            fields.append((button, "1"))
        return self.post(path, fields)


class FormReader(HTMLParser):
    """Every form's fields with the values a browser would submit unchanged: inputs, checked boxes,
    selected options and text areas (buttons are left out: the caller says which one is pressed)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[list[tuple[str, str]]] = []
        self._select: str | None = None
        self._textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {key: value or "" for key, value in attrs}
        name = attrs.get("name")
        if tag == "form":
            self.forms.append([])
        elif not self.forms:
            return
        elif tag == "input" and name:
            kind = attrs.get("type", "text").lower()
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attrs:
                return
            self.forms[-1].append((name, attrs.get("value", "on" if kind in {"checkbox", "radio"} else "")))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.forms[-1].append((self._select, attrs.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea = (name, [])

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            name, text = self._textarea
            self.forms[-1].append((name, "".join(text).removeprefix("\n")))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self._textarea[1].append(data)
