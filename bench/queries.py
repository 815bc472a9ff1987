"""The fixed query set both the archive and the raw Whoosh baseline are timed on."""

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class BenchQuery:
    kind: str
    text: str
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    @property
    def label(self) -> str:
        dates = f" [{self.date_from} .. {self.date_to}]" if self.date_from or self.date_to else ""
        return f"{self.text}{dates}".strip()


QUERIES = (
    BenchQuery("single word", "oil"),
    BenchQuery("single word", "coffee"),
    BenchQuery("two words", "crude oil"),
    BenchQuery("two words", "interest rates"),
    BenchQuery("phrase", '"trade deficit"'),
    BenchQuery("phrase", '"money supply"'),
    BenchQuery("field filter", "place:japan"),
    BenchQuery("field filter", "tag:grain"),
    BenchQuery("field filter + word", "place:japan trade"),
    BenchQuery("date range + word", "wheat", dt.date(1987, 3, 1), dt.date(1987, 3, 15)),
    BenchQuery("date range only", "", dt.date(1987, 4, 1), dt.date(1987, 4, 7)),
    BenchQuery("rare word", "tapioca"),
    BenchQuery("no hits", "xylophonequartz"),
)
