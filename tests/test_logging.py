"""Structured logs: each record one JSON object on one line."""

import json
import logging

from archive.logging import JSONFormatter


def record(message, *args, exc_info=None):
    return logging.LogRecord("archive.search.indexing", logging.ERROR, __file__, 1, message, args, exc_info)


def test_a_record_is_one_json_line_with_time_level_logger_and_message():
    """The formatted record is a single line of JSON with the message's arguments filled in."""
    line = JSONFormatter().format(record("Index update failed for articles %s", [3, 4]))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry.keys() == {"time", "level", "logger", "message"}
    assert (entry["level"], entry["logger"]) == ("ERROR", "archive.search.indexing")
    assert entry["message"] == "Index update failed for articles [3, 4]"


def test_time_is_utc_iso_8601():
    """The time is the record's creation time in UTC, ISO 8601 to the millisecond."""
    entry = record("Queue empty")
    entry.created = 1_456_300_920.25
    assert json.loads(JSONFormatter().format(entry))["time"] == "2016-02-24T08:02:00.250+00:00"


def test_traceback_is_kept_in_the_same_line():
    """A logged exception's traceback goes in ``exc_info``, and the record stays on one line."""
    try:
        raise OSError("disk full")
    except OSError as exc:
        line = JSONFormatter().format(record("Rebuild failed", exc_info=(type(exc), exc, exc.__traceback__)))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "Rebuild failed"
    assert entry["exc_info"].startswith("Traceback (most recent call last):")
    assert entry["exc_info"].endswith("OSError: disk full")


def test_messages_that_are_not_text_are_written_as_text():
    """A non-string message, or one with non-ASCII characters, still gives valid JSON."""
    entry = json.loads(JSONFormatter().format(record({"article": 7, "title": "Città"})))
    assert entry["message"] == "{'article': 7, 'title': 'Città'}"
