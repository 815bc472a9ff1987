"""The benchmark harness's own pieces: the stdlib Reuters reader, the corpus multiplier and the statistics.

The SGML below is written for these tests in the corpus's shape; it is not
taken from the corpus.
"""

import sys
from collections import Counter
from pathlib import Path

import pytest

BENCH_DIR = Path(__file__).resolve().parent.parent / "bench"

SGML = """<!DOCTYPE lewis SYSTEM "lewis.dtd">
<REUTERS TOPICS="YES" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="9001" NEWID="7">
<DATE>12-MAR-1987 10:15:00.00</DATE>
<TOPICS><D>grain</D><D>wheat</D></TOPICS>
<PLACES><D>canada</D><D>usa</D></PLACES>
<PEOPLE></PEOPLE>
<ORGS><D>ec</D></ORGS>
<EXCHANGES></EXCHANGES>
<COMPANIES></COMPANIES>
<UNKNOWN>&#5;&#5;&#5;G</UNKNOWN>
<TEXT>&#2;
<TITLE>PRAIRIE FARMERS &lt;PFC&gt; EXPECT LARGER WHEAT HARVEST</TITLE>
<DATELINE>    WINNIPEG, March 12 - </DATELINE><BODY>Prairie growers said rain in late
February improved soil moisture across the wheat belt &amp; the
pools expect a larger harvest this year.
 Reuter
&#3;</BODY></TEXT>
</REUTERS>
<REUTERS TOPICS="NO" LEWISSPLIT="TEST" CGISPLIT="TRAINING-SET" OLDID="9002" NEWID="8">
<DATE>13-MAR-1987 08:00:00.00</DATE>
<TOPICS></TOPICS>
<PLACES></PLACES>
<PEOPLE></PEOPLE>
<ORGS></ORGS>
<EXCHANGES></EXCHANGES>
<COMPANIES></COMPANIES>
<UNKNOWN>&#5;&#5;&#5;F</UNKNOWN>
<TEXT TYPE="UNPROC">&#2;
shipping notice harbour closed for dredging until friday
&#3;</TEXT>
</REUTERS>
"""


@pytest.fixture
def bench(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH_DIR))
    import measure
    import reuters

    yield reuters, measure
    for name in ("reuters", "measure"):
        sys.modules.pop(name, None)


@pytest.fixture
def corpus(tmp_path):
    directory = tmp_path / "corpus"
    directory.mkdir()
    (directory / "reut2-900.sgm").write_text(SGML, encoding="latin-1")
    return directory


def test_reader_decodes_fields_and_character_references(bench, corpus):
    """A story's id, date, codes, title and body come out with SGML character references decoded."""
    reuters, _ = bench
    story = next(reuters.read_stories(corpus / "reut2-900.sgm"))
    assert (story.newid, story.date) == (7, "12-MAR-1987 10:15:00.00")
    assert (story.topics, story.places, story.orgs) == (["grain", "wheat"], ["canada", "usa"], ["ec"])
    assert story.title == "PRAIRIE FARMERS <PFC> EXPECT LARGER WHEAT HARVEST"
    assert story.dateline == "WINNIPEG, March 12 -"
    assert "wheat belt & the" in story.body


def test_reader_keeps_the_raw_text_of_unprocessed_stories(bench, corpus):
    """A TYPE="UNPROC" story has no TITLE or BODY; its raw text becomes the body."""
    reuters, _ = bench
    story = list(reuters.read_stories(corpus / "reut2-900.sgm"))[1]
    assert story.title == ""
    assert "shipping notice harbour closed for dredging until friday" in story.body


def test_scaled_corpus_has_distinct_ids_for_every_copy(bench, corpus, tmp_path):
    """Three copies of two stories give six stories with six different ids; copy 0 keeps the originals."""
    reuters, _ = bench
    written = reuters.scale_corpus(corpus, tmp_path / "scaled", times=3)
    stories = [story for path in reuters.corpus_files(tmp_path / "scaled") for story in reuters.read_stories(path)]
    assert written == 6
    assert sorted(story.newid for story in stories) == [7, 8, 100_007, 100_008, 200_007, 200_008]


def test_scaled_copies_shuffle_the_words_but_keep_them(bench, corpus, tmp_path):
    """A copy has the same words as the original in another order, and the same codes and date."""
    reuters, _ = bench
    reuters.scale_corpus(corpus, tmp_path / "scaled", times=2)
    original = next(reuters.read_stories(tmp_path / "scaled" / "reut2-900-x000.sgm"))
    copy = next(reuters.read_stories(tmp_path / "scaled" / "reut2-900-x001.sgm"))
    assert copy.body != original.body
    assert Counter(copy.body.split()) == Counter(original.body.split())
    assert Counter(copy.title.split()) == Counter(original.title.split())
    assert (copy.topics, copy.places, copy.date) == (original.topics, original.places, original.date)


def test_latency_summary_uses_nearest_rank_percentiles(bench):
    """p50 is the median, p95 the nearest-rank 95th percentile and max the slowest, in milliseconds."""
    _, measure = bench
    samples = [value / 1000 for value in range(1, 101)]
    assert measure.summarise(samples) == {"count": 100, "p50_ms": 50.5, "p95_ms": 95.0, "max_ms": 100.0}


def test_measured_run_reports_status_and_memory(bench, tmp_path):
    """A measured command's exit status, output and a non-zero peak memory are reported."""
    _, measure = bench
    result = measure.run_measured(
        [sys.executable, "-c", "import time; block = bytearray(60 * 2**20); time.sleep(0.5); print('done')"],
        env={},
        cwd=str(tmp_path),
        log_path=tmp_path / "run.log",
    )
    assert result.returncode == 0
    assert result.output == "done\n"
    assert result.peak_rss_mb >= 60


def engine_report(import_seconds: float, page_p50: float, totals: dict) -> dict:
    latency = {"p50_ms": page_p50, "p95_ms": page_p50 * 2, "max_ms": page_p50 * 3}
    return {
        "date": "2026-12-06 19:00 UTC",
        "articles": 18000,
        "machine": {"cpu": "test", "cores": 2, "memory_gb": 8, "load_average_at_start": [0.1]},
        "archive": {
            "import": {"seconds": import_seconds, "cpu_seconds": 1.0},
            "search": {"latency": {"page": latency}, "totals": totals},
        },
    }


def test_engines_table_puts_each_measure_of_both_engines_in_one_row(monkeypatch):
    """bench/engines.py: one row per measure, Whoosh then PostgreSQL, with PostgreSQL as a multiple of Whoosh."""
    monkeypatch.syspath_prepend(str(BENCH_DIR))
    import engines

    table = engines.markdown(
        {
            "whoosh": engine_report(40.0, 10.0, {"oil": 900}),
            "postgres": engine_report(50.0, 15.0, {"oil": 900}),
        },
        scale=1,
    )

    assert "| Import + index + suggestions, wall time | 40.0 s | 50.0 s | 1.25x |" in table
    assert (
        "| Public search page (test client) (p50 / p95 / max) | 10.0 / 20.0 / 30.0 ms | 15.0 / 30.0 / 45.0 ms" in table
    )
    assert "Both engines found the same number of hits for all 1 queries." in table


def test_engines_table_names_the_queries_whose_hits_differ(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH_DIR))
    import engines

    table = engines.markdown(
        {
            "whoosh": engine_report(40.0, 10.0, {"oil": 900, "tag:grain": 40}),
            "postgres": engine_report(50.0, 15.0, {"oil": 901, "tag:grain": 40}),
        },
        scale=1,
    )

    assert "Hits that differ (Whoosh, PostgreSQL): `oil` 900 / 901." in table
