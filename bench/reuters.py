"""Reuters-21578 SGML for the benchmarks: a stdlib reader and a streaming corpus multiplier.

The reader is deliberately independent of the archive's importer, so the raw
Whoosh baseline measures the engine alone. The multiplier writes SGML in the
corpus's own shape, so the archive imports the scaled corpus through its
normal path.
"""

import html
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ENCODING = "latin-1"
STORY = re.compile(r"<REUTERS\b(?P<attrs>[^>]*)>(?P<inner>.*?)</REUTERS>", re.DOTALL)
NEWID = re.compile(r'NEWID="(\d+)"')
TEXT = re.compile(r"<TEXT\b[^>]*>(?P<text>.*?)</TEXT>", re.DOTALL)
# Character data that may be shuffled: the title, the body, or the raw text of an UNPROC story.
SHUFFLED_PARTS = re.compile(r"(<TITLE>|<BODY>)(.*?)(</TITLE>|</BODY>)", re.DOTALL)
WORDS = re.compile(r"(\s+)")


def _element(name: str, inner: str) -> str:
    match = re.search(rf"<{name}>(.*?)</{name}>", inner, re.DOTALL)
    return html.unescape(match.group(1)).strip() if match else ""


def _codes(name: str, inner: str) -> list[str]:
    match = re.search(rf"<{name}>(.*?)</{name}>", inner, re.DOTALL)
    return re.findall(r"<D>(.*?)</D>", match.group(1)) if match else []


@dataclass
class Story:
    newid: int
    date: str
    title: str
    dateline: str
    body: str
    topics: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)
    orgs: list[str] = field(default_factory=list)


def corpus_files(directory: Path) -> list[Path]:
    files = sorted(Path(directory).glob("*.sgm"))
    if not files:
        raise SystemExit(f"{directory}: no .sgm files")
    return files


def read_stories(path: Path) -> Iterator[Story]:
    """Every story in one SGML file; UNPROC stories keep their raw text as the body."""
    content = Path(path).read_text(encoding=ENCODING)
    for match in STORY.finditer(content):
        inner = match.group("inner")
        text_match = TEXT.search(inner)
        text = text_match.group("text") if text_match else ""
        body = _element("BODY", text)
        title = _element("TITLE", text)
        if not title and not body:
            body = html.unescape(re.sub(r"<[^>]+>", " ", text)).strip()
        yield Story(
            newid=int(NEWID.search(match.group("attrs")).group(1)),
            date=_element("DATE", inner),
            title=title,
            dateline=_element("DATELINE", text),
            body=body,
            topics=_codes("TOPICS", inner),
            places=_codes("PLACES", inner),
            people=_codes("PEOPLE", inner),
            orgs=_codes("ORGS", inner),
        )


def _shuffle_words(text: str, rng: random.Random) -> str:
    """The same words in another order, keeping the whitespace (and so the line structure) in place."""
    parts = WORDS.split(text)
    words = parts[0::2]
    rng.shuffle(words)
    parts[0::2] = words
    return "".join(parts)


def _scaled_story(story_sgml: str, copy: int, id_offset: int, rng: random.Random) -> str:
    story_sgml = NEWID.sub(lambda m: f'NEWID="{int(m.group(1)) + copy * id_offset}"', story_sgml, count=1)
    text_match = TEXT.search(story_sgml)
    if not text_match:
        return story_sgml
    text = text_match.group("text")
    if SHUFFLED_PARTS.search(text):
        text = SHUFFLED_PARTS.sub(lambda m: m.group(1) + _shuffle_words(m.group(2), rng) + m.group(3), text)
    else:
        text = _shuffle_words(text, rng)
    return story_sgml[: text_match.start("text")] + text + story_sgml[text_match.end("text") :]


def scale_corpus(source: Path, destination: Path, *, times: int, seed: int = 21578, id_offset: int = 100_000) -> int:
    """Write ``times`` copies of the corpus as SGML files; copy 0 is the original, the others have new ids
    (``NEWID + copy * id_offset``) and shuffled words. One file at a time, so memory stays flat.
    Returns the number of stories written."""
    destination.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    written = 0
    for copy in range(times):
        for path in corpus_files(source):
            content = path.read_text(encoding=ENCODING)
            pieces, position = [], 0
            for match in STORY.finditer(content):
                pieces.append(content[position : match.start()])
                story = match.group(0)
                pieces.append(story if copy == 0 else _scaled_story(story, copy, id_offset, rng))
                position = match.end()
                written += 1
            pieces.append(content[position:])
            target = destination / f"{path.stem}-x{copy:03d}.sgm"
            target.write_text("".join(pieces), encoding=ENCODING)
    return written
