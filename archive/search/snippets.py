"""Search-result snippets from the spans an engine matched: one layout and one escaping rule for every engine.

The article's text is always escaped; the only markup in a snippet is the
``<mark>`` around a matched word, so a snippet is safe HTML whatever the
article holds.
"""

from html import escape

SNIPPET_CHARS = 240
SNIPPET_LEAD = 60


def snippet(text: str, spans: list[tuple[int, int]]) -> str:
    """The window of ``text`` holding most matched ``spans`` (start, end), each marked; the opening if none."""
    if not spans:
        return opening(text)
    best, best_count, last = 0, 0, 0
    for first in range(len(spans)):
        while last < len(spans) and spans[last][1] - spans[first][0] <= SNIPPET_CHARS:
            last += 1
        if last - first > best_count:
            best, best_count = first, last - first
    start = max(0, spans[best][0] - SNIPPET_LEAD)
    if start:
        space = text.find(" ", start, spans[best][0])
        start = space + 1 if space != -1 else start
    end = min(len(text), start + SNIPPET_CHARS)
    if end < len(text):
        space = text.rfind(" ", max(spans[best][1], start), end)
        end = space if space != -1 else end
    parts, position = ["…"] if start else [], start
    for span_start, span_end in spans:
        if span_start < start or span_end > end:
            continue
        parts.append(escape(text[position:span_start], quote=False))
        parts.append(f"<mark>{escape(text[span_start:span_end], quote=False)}</mark>")
        position = span_end
    parts.append(escape(text[position:end], quote=False))
    if end < len(text):
        parts.append("…")
    return "".join(parts)


def opening(text: str) -> str:
    """The start of the text, escaped, for a hit whose text has no matched word."""
    excerpt = text[:SNIPPET_CHARS]
    return escape(excerpt + ("…" if len(text) > SNIPPET_CHARS else ""), quote=False)
