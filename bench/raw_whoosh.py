"""The engine's own limit: index and search the Reuters corpus with Whoosh alone, no Django, no database.

The schema mirrors the archive's (the same analyzer, text fields, boosts,
spelling, keyword, numeric and column fields), so the ratio of the archive's
times to these is the cost of everything the archive adds.

    python bench/raw_whoosh.py --corpus ../shared/corpus/reuters21578 --index /tmp/raw-index [--procs 2]
"""

import argparse
import datetime as dt
import json
import resource
import shutil
import sys
import time
from pathlib import Path

from whoosh import columns, fields, highlight, index, qparser, query
from whoosh.analysis import CharsetFilter, StemmingAnalyzer
from whoosh.support.charset import accent_map

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import summarise
from queries import QUERIES
from reuters import Story, corpus_files, read_stories

TEXT_FIELDS = ["title", "body", "actor_names", "place_names", "tag_names", "dateline"]
BOOSTS = {"title": 3.0, "actor_names": 1.5, "place_names": 1.5, "tag_names": 1.5}
ALIASES = {"actor": "actor_names", "place": "place_names", "tag": "tag_names"}


def build_schema() -> fields.Schema:
    text = StemmingAnalyzer() | CharsetFilter(accent_map)
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=fields.TEXT(analyzer=text, field_boost=BOOSTS["title"], spelling=True),
        body=fields.TEXT(analyzer=text, stored=True, spelling=True),
        dateline=fields.TEXT(analyzer=text),
        actor_names=fields.TEXT(analyzer=text, field_boost=BOOSTS["actor_names"]),
        place_names=fields.TEXT(analyzer=text, field_boost=BOOSTS["place_names"]),
        tag_names=fields.TEXT(analyzer=text, field_boost=BOOSTS["tag_names"]),
        tag=fields.KEYWORD(commas=True),
        place_id=fields.KEYWORD(commas=True),
        status=fields.ID(),
        start=fields.NUMERIC(int, bits=32, sortable=True),
        end=fields.NUMERIC(int, bits=32),
        facets=fields.COLUMN(columns.PickleColumn(columns.VarBytesColumn())),
    )


def day_number(reuters_date: str) -> int | None:
    try:
        parsed = dt.datetime.strptime(reuters_date.split(".")[0].strip(), "%d-%b-%Y %H:%M:%S")
    except ValueError:
        return None
    return parsed.year * 10000 + parsed.month * 100 + parsed.day


def document(story: Story) -> dict:
    start = day_number(story.date)
    actors = story.people + story.orgs
    fields_ = {
        "id": str(story.newid),
        "title": story.title,
        "body": story.body,
        "dateline": story.dateline,
        "actor_names": "\n".join(actors),
        "place_names": "\n".join(story.places),
        "tag_names": "\n".join(story.topics),
        "tag": ",".join(story.topics),
        "place_id": ",".join(story.places),
        "status": "published",
        "facets": (
            tuple(actors),
            tuple(story.places),
            tuple(story.topics),
            "Reuters",
            str(start // 10000) if start else None,
        ),
    }
    if start:
        fields_["start"] = fields_["end"] = start
    return {key: value for key, value in fields_.items() if value not in ("", None)}


def cpu_seconds() -> float:
    """User and system time of this process and its finished children (the writer's sub-processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def build_index(corpus: Path, index_dir: Path, *, procs: int, limitmb: int, multisegment: bool) -> dict:
    if index_dir.exists():
        shutil.rmtree(index_dir)
    index_dir.mkdir(parents=True)
    started, cpu_before = time.perf_counter(), cpu_seconds()
    ix = index.create_in(str(index_dir), build_schema())
    writer = ix.writer(procs=procs, limitmb=limitmb, multisegment=multisegment)
    count = 0
    try:
        for path in corpus_files(corpus):
            for story in read_stories(path):
                writer.add_document(**document(story))
                count += 1
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    seconds = time.perf_counter() - started
    return {
        "documents": count,
        "seconds": round(seconds, 2),
        "docs_per_second": round(count / seconds, 1),
        "cpu_seconds": round(cpu_seconds() - cpu_before, 1),
        "procs": procs,
        "limitmb": limitmb,
        "multisegment": multisegment,
    }


def parsed_query(bench_query, schema) -> query.Query:
    parser = qparser.MultifieldParser(TEXT_FIELDS, schema, fieldboosts=BOOSTS)
    parser.add_plugin(qparser.FieldAliasPlugin({field: [alias] for alias, field in ALIASES.items()}))
    parts = [parser.parse(bench_query.text)] if bench_query.text else []
    if bench_query.date_from or bench_query.date_to:
        low = bench_query.date_from and int(bench_query.date_from.strftime("%Y%m%d"))
        high = bench_query.date_to and int(bench_query.date_to.strftime("%Y%m%d"))
        parts.append(query.NumericRange("start", low, high))
    parts.append(query.Term("status", "published"))
    return query.And(parts)


def time_searches(index_dir: Path, *, repeat: int) -> dict:
    """Latency of ranked ids (top 20 and the total) and of ids with highlighted snippets, per query set."""
    ix = index.open_dir(str(index_dir))
    samples = {"ids": [], "highlights": []}
    totals = {}
    with ix.searcher() as searcher:
        for bench_query in QUERIES:
            for mode in samples:
                for _ in range(repeat):
                    started = time.perf_counter()
                    results = searcher.search(parsed_query(bench_query, ix.schema), limit=20, terms=True)
                    total = len(results)
                    ids = [hit["id"] for hit in results]
                    if mode == "highlights":
                        results.fragmenter = highlight.ContextFragmenter(maxchars=240, surround=60)
                        results.formatter = highlight.HtmlFormatter(tagname="mark", between=" … ")
                        for hit in results:
                            body = hit.get("body", "")
                            if body:
                                hit.highlights("body", text=body, top=2)
                    samples[mode].append(time.perf_counter() - started)
                    totals[bench_query.label] = total
                    assert len(ids) <= 20
    return {"latency": {mode: summarise(values) for mode, values in samples.items()}, "totals": totals}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, required=True, help="A folder of Reuters-21578 .sgm files.")
    parser.add_argument("--index", type=Path, required=True, help="Where to build the index (replaced).")
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--limitmb", type=int, default=128)
    parser.add_argument("--single-segment", action="store_true", help="Merge the writers' segments at the end.")
    parser.add_argument("--repeat", type=int, default=5, help="Runs of each query.")
    parser.add_argument("--out", type=Path, help="Write the JSON report here too.")
    args = parser.parse_args()
    report = {
        "index": build_index(
            args.corpus, args.index, procs=args.procs, limitmb=args.limitmb, multisegment=not args.single_segment
        )
    }
    report["search"] = time_searches(args.index, repeat=args.repeat)
    text = json.dumps(report, indent=2)
    if args.out:
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
