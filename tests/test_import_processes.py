"""An import's helper processes: they die with the import, and leave Ctrl-C to it.

Each test runs ``import_articles`` as a real process in its own session (so
a signal to its group is what Ctrl-C at a terminal sends), against this
test run's database and index, and watches its children with psutil. The
corpus is big enough that the first batch's suggestions are read by the
forked extraction helper beside the background indexer.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import psutil
import pytest
from django.conf import settings
from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent
FIRST = ["Ahmed", "Maria", "John", "Fatima", "Luca", "Olga", "Kenji", "Amina"]
LAST = ["Karimi", "Rossi", "Walker", "Haddad", "Bianchi", "Petrova", "Sato", "Diallo"]
RECORDS = 3000
BATCH = 1500
# Seconds within which every helper of a killed import must be gone.
DEATH_BOUND = 10

pytestmark = pytest.mark.django_db(transaction=True)


def corpus(path: Path) -> Path:
    """Stories naming several people each: the extraction helper's proposals for a batch fill its pipe many times."""
    with path.open("w") as out:
        for n in range(RECORDS):
            people = [f"{FIRST[(n + i) % 8]} {LAST[(n * 3 + i) % 8]}" for i in range(6)]
            body = " ".join(
                f"Minister {person} told reporters in Tripoli on March {day} that the Harbour Authority "
                "of Genoa would meet the Sardinia Ferry Company."
                for day, person in enumerate(people, 1)
            )
            out.write(json.dumps({"id": f"r{n}", "title": f"Harbour talks, report {n}", "body": body}) + "\n")
    return path


def database_url() -> str:
    database = connection.settings_dict
    if database["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{database['NAME']}"
    credentials = quote(database["USER"]) + (f":{quote(database['PASSWORD'])}" if database["PASSWORD"] else "")
    return f"postgres://{credentials}@{database['HOST']}:{database['PORT']}/{database['NAME']}"


def start_import(tmp_path: Path) -> subprocess.Popen:
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "ARCHIVE_DATA_DIR": str(settings.ARCHIVE_DATA_DIR),
        "DJANGO_SETTINGS_MODULE": "archive.settings",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "import_articles",
            str(corpus(tmp_path / "feed.jsonl")),
            "--batch-size",
            str(BATCH),
            "--no-progress",
        ],
        cwd=BASE_DIR,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for(condition, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.005)
    raise AssertionError(f"no {what} within {timeout} s")


def helpers_when(main: psutil.Process, moment: str) -> list[psutil.Process] | None:
    """The import's helpers once ``moment`` has come, else None.

    "extraction helper at work": the helper forked for a batch's suggestions
    has joined the background indexer. "index writers at work": the indexer
    writes a session through Whoosh's writer processes, its own children.
    """
    try:
        helpers = main.children(recursive=True)
        if moment == "extraction helper at work":
            ready = len([helper for helper in helpers if helper.ppid() == main.pid]) >= 2
        else:
            ready = any(helper.ppid() != main.pid for helper in helpers)
    except psutil.NoSuchProcess:
        return None
    return helpers if ready else None


def alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    survivors = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                survivors.append(process)
        except psutil.NoSuchProcess:
            continue
    return survivors


@pytest.fixture
def running_import(tmp_path):
    """The import process; whatever of its session is left at the end is killed, by its group's id."""
    process = start_import(tmp_path)
    yield process
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)


def test_killing_the_import_leaves_none_of_its_helpers_alive(running_import):
    """After kill -9 of the import's main process only, its indexer and extraction helper are gone within 10 s."""
    main = psutil.Process(running_import.pid)
    children = wait_for(lambda: helpers_when(main, "extraction helper at work"), timeout=120, what="helper")
    os.kill(running_import.pid, signal.SIGKILL)
    running_import.wait(timeout=30)
    deadline = time.monotonic() + DEATH_BOUND
    while alive(children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert alive(children) == [], f"still running {DEATH_BOUND} s after their parent was killed"


@pytest.mark.parametrize("moment", ["extraction helper at work", "index writers at work"])
def test_ctrl_c_prints_one_clean_message_and_no_traceback(running_import, moment):
    """Ctrl-C (SIGINT to the whole group) ends the import with status 130, how to resume, and no helper's traceback."""
    main = psutil.Process(running_import.pid)
    children = wait_for(lambda: helpers_when(main, moment), timeout=120, what=moment)
    os.killpg(running_import.pid, signal.SIGINT)
    _out, err = running_import.communicate(timeout=120)
    assert running_import.returncode == 130, err
    assert "Traceback" not in err
    assert err.strip().startswith("CommandError: Interrupted after "), err
    assert err.strip().endswith("Every batch stored so far is complete; run the same command again to finish."), err
    assert alive(children) == []
