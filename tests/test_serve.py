"""The production web process: gunicorn with ``gunicorn.conf.py``, as ``make serve`` starts it."""

import http.client
import json
import signal

import pytest

from tests.server_support import START_SECONDS, manage, production_env, start_gunicorn, stop


def get(port: int, path: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", path)
    response = connection.getresponse()
    response.body = response.read()
    connection.close()
    return response


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    """The environment of a production archive: migrated, static files collected, debug off."""
    env = production_env(tmp_path_factory.mktemp("served"))
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    return env


@pytest.fixture
def server(production, tmp_path):
    """gunicorn on a loopback port over the production archive; its log."""
    log = tmp_path / "gunicorn.log"
    process, port = start_gunicorn(production, log)
    try:
        yield process, port, log
    finally:
        stop(process)


def test_health_probe_is_answered_over_plain_http(server):
    """Behind a load balancer the probe arrives over HTTP and is answered, not redirected to HTTPS."""
    _, port, _ = server
    response = get(port, "/healthz")
    assert response.status == 200
    assert json.loads(response.body)["status"] == "ok"


def test_pages_redirect_to_https(server):
    """Any other plain HTTP request is redirected to HTTPS in production."""
    _, port, _ = server
    response = get(port, "/search/")
    assert response.status == 301
    assert response.getheader("Location") == f"https://127.0.0.1:{port}/search/"


def test_sigterm_stops_the_server_cleanly_and_requests_were_logged(server):
    """On SIGTERM gunicorn finishes its workers and exits 0; each request was logged to stdout."""
    process, port, log = server
    get(port, "/healthz")
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=START_SECONDS) == 0
    assert '"GET /healthz HTTP/1.1" 200' in log.read_text()
