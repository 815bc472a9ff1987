"""The production web process: gunicorn with ``gunicorn.conf.py``, as ``make serve`` starts it."""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
BOUND = 20.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(port: int, path: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", path)
    response = connection.getresponse()
    response.body = response.read()
    connection.close()
    return response


@pytest.fixture(scope="module")
def production_env(tmp_path_factory):
    """The environment of a production archive: migrated, static files collected, debug off."""
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(
        ARCHIVE_DATA_DIR=str(tmp_path_factory.mktemp("served")),
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="eK4-pW9zR2mT7vY1qL5sX8cN3bH6jF0gD2aU9iO4nE7tQ1yB5wZ8rV3kM6lP0dS",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        HOST="127.0.0.1",
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="2",
    )
    for command in (["migrate", "--noinput", "-v", "0"], ["collectstatic", "--noinput", "-v", "0"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, timeout=120)
    return env


@pytest.fixture
def server(production_env):
    """gunicorn on a loopback port over the production archive."""
    env = {**production_env, "PORT": str(free_port())}
    process = subprocess.Popen(
        [str(GUNICORN), "--config", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    port = int(env["PORT"])
    deadline = time.monotonic() + BOUND
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "gunicorn did not start listening in time"
            time.sleep(0.2)
    try:
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_health_probe_is_answered_over_plain_http(server):
    """Behind a load balancer the probe arrives over HTTP and is answered, not redirected to HTTPS."""
    _, port = server
    response = get(port, "/healthz")
    assert response.status == 200
    assert json.loads(response.body)["status"] == "ok"


def test_pages_redirect_to_https(server):
    """Any other plain HTTP request is redirected to HTTPS in production."""
    _, port = server
    response = get(port, "/search/")
    assert response.status == 301
    assert response.getheader("Location") == f"https://127.0.0.1:{port}/search/"


def test_sigterm_stops_the_server_cleanly_and_requests_were_logged(server):
    """On SIGTERM gunicorn finishes its workers and exits 0; each request was logged to stdout."""
    process, port = server
    get(port, "/healthz")
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=BOUND) == 0
    output = process.communicate()[0]
    assert '"GET /healthz HTTP/1.1" 200' in output
