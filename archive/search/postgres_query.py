"""The query language read for the PostgreSQL engine: a parse tree, then SQL over the stored ``tsvector`` columns.

The grammar is the one the Whoosh engine's parser reads: words joined by an
implicit AND, ``AND`` / ``OR`` / ``NOT`` / ``ANDNOT`` (upper case), parentheses,
"phrases", ``prefix*``, ``field:word``, ``field:"a phrase"`` and
``field:(a group)``; a ``^2`` boost is accepted and ignored. Anything else
that is malformed (a dangling operator, an unclosed parenthesis) raises
``QuerySyntaxError`` and the caller searches the plain words instead.

Words are not turned into lexemes here: PostgreSQL does that with the same
text configuration it indexed with (``Normaliser``), so stemming and accent
folding can never differ between documents and queries.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

# Query-language field names: (the stored vector, the weight its text carries in it).
# ``document`` holds title (A), names (B), body and dateline (C), byline and source (D);
# ``names`` holds actor (A), place (B), tag (C) and source (D) names.
FIELDS = {
    "title": ("document", "A"),
    "body": ("document", "C"),
    "byline": ("document", "D"),
    "author": ("document", "D"),
    "actor": ("names", "A"),
    "place": ("names", "B"),
    "tag": ("names", "C"),
    "source": ("names", "D"),
}
OPERATORS = {"AND", "OR", "NOT", "ANDNOT"}
_TOKEN = re.compile(
    r'(?P<space>\s+)|(?P<open>\()|(?P<close>\))|(?P<phrase>"[^"]*")'
    r"|(?P<field>(?P<name>[A-Za-z]+):(?=[\"(\w]))|(?P<word>[^\s()\"]+)"
)
_BOOST = re.compile(r"\^\d+(?:\.\d+)?$")
_LEXEME = re.compile(r"'(?:[^']|'')*'(?::\*)?")


class QuerySyntaxError(ValueError):
    """The query cannot be read as written."""


@dataclass
class Leaf:
    """A word, a phrase or a prefix, searched in one stored vector, with the span it came from."""

    text: str
    kind: str  # "word", "phrase" or "prefix"
    vector: str = "document"
    weight: str | None = None
    start: int = 0
    end: int = 0
    tsquery: str = ""  # filled in by the normaliser; empty when the text has no lexemes (stop words only)


@dataclass
class Node:
    operator: str  # "and", "or", "not"
    children: list = field(default_factory=list)


Tree = Leaf | Node


def parse(text: str) -> Tree | None:
    """The parse tree of ``text``, or None when it holds nothing to search."""
    tokens = list(_tokens(text))
    parser = _Parser(tokens)
    tree = parser.expression()
    if parser.position != len(tokens):
        raise QuerySyntaxError(f"unexpected {tokens[parser.position][1]!r}")
    return tree


def plain_words(text: str) -> Tree | None:
    """Every word of ``text`` joined by AND, lower-cased so that operators are words again."""
    leaves = [
        Leaf(text=match.group().lower(), kind="word", start=match.start(), end=match.end())
        for match in re.finditer(r"\w+", text)
    ]
    return Node("and", leaves) if leaves else None


def _tokens(text: str) -> Iterator[tuple[str, str, int, int]]:
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup if match.lastgroup != "name" else "field"
        if match["space"]:
            continue
        if match["field"]:
            name = match["name"].lower()
            if name in FIELDS:
                yield "field", name, match.start(), match.end()
                continue
            kind = "word"
        value = match.group()
        if kind == "word" and value in OPERATORS:
            kind = "operator"
        yield kind, value, match.start(), match.end()


class _Parser:
    """Recursive descent, loosest first: OR, then AND (implicit or written, and ANDNOT), then NOT."""

    def __init__(self, tokens: list[tuple[str, str, int, int]]):
        self.tokens = tokens
        self.position = 0

    def peek(self) -> tuple[str, str, int, int] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str, int, int]:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def expression(self, field_name: str | None = None) -> Tree | None:
        if self.peek() is None:
            return None
        parts = [self.conjunction(field_name)]
        while (token := self.peek()) and token[:2] == ("operator", "OR"):
            self.take()
            parts.append(self.conjunction(field_name))
        return parts[0] if len(parts) == 1 else Node("or", parts)

    def conjunction(self, field_name: str | None) -> Tree:
        parts = [self.negation(field_name)]
        while (token := self.peek()) and token[0] != "close" and token[:2] != ("operator", "OR"):
            if token[:2] == ("operator", "AND"):
                self.take()
                parts.append(self.negation(field_name))
            elif token[:2] == ("operator", "ANDNOT"):
                self.take()
                parts.append(Node("not", [self.negation(field_name)]))
            else:
                parts.append(self.negation(field_name))
        return parts[0] if len(parts) == 1 else Node("and", parts)

    def negation(self, field_name: str | None) -> Tree:
        token = self.peek()
        if token is not None and token[:2] == ("operator", "NOT"):
            self.take()
            return Node("not", [self.negation(field_name)])
        return self.unit(field_name)

    def unit(self, field_name: str | None) -> Tree:
        token = self.peek()
        if token is None:
            raise QuerySyntaxError("the query ends with an operator")
        kind, value, start, end = self.take()
        if kind == "open":
            inner = self.expression(field_name)
            closing = self.peek()
            if closing is None or closing[0] != "close" or inner is None:
                raise QuerySyntaxError("a parenthesis is not closed")
            self.take()
            return inner
        if kind == "field":
            if field_name is not None:
                raise QuerySyntaxError("a field inside a field")
            return self.unit(value)
        if kind in {"close", "operator"}:
            raise QuerySyntaxError(f"{value!r} has nothing to join")
        vector, weight = FIELDS[field_name] if field_name else ("document", None)
        if kind == "phrase":
            return Leaf(value[1:-1], "phrase", vector, weight, start + 1, end - 1)
        word = _BOOST.sub("", value)
        if word.endswith("*") and word.strip("*"):
            return Leaf(word.rstrip("*"), "prefix", vector, weight, start, start + len(word.rstrip("*")))
        return Leaf(word, "word", vector, weight, start, start + len(word))


def leaves(tree: Tree | None, positive: bool = True) -> Iterator[tuple[Leaf, bool]]:
    """Every leaf with whether it counts for the match (False under an odd number of NOTs)."""
    if tree is None:
        return
    if isinstance(tree, Leaf):
        yield tree, positive
        return
    for child in tree.children:
        yield from leaves(child, positive if tree.operator != "not" else not positive)


Normaliser = Callable[[list[Leaf]], None]


def restrict(tsquery: str, weight: str | None) -> str:
    """``'islam' <-> 'state'`` restricted to one weight: ``'islam':A <-> 'state':A``."""
    if not weight or not tsquery:
        return tsquery
    return _LEXEME.sub(lambda match: match.group() + ("" if match.group().endswith(":*") else ":") + weight, tsquery)


def prune(tree: Tree | None) -> Tree | None:
    """The tree without leaves that have no lexemes (stop words), and without the nodes they leave empty."""
    if tree is None or isinstance(tree, Leaf):
        return tree if tree is not None and tree.tsquery else None
    children = [pruned for child in tree.children if (pruned := prune(child)) is not None]
    if not children:
        return None
    if tree.operator == "not":
        return Node("not", children)
    return children[0] if len(children) == 1 else Node(tree.operator, children)


def _single_vector(tree: Tree) -> tuple[str, str] | None:
    """(vector, tsquery) when the whole subtree searches one vector, so one ``@@`` can answer it from the index."""
    if isinstance(tree, Leaf):
        return tree.vector, f"({restrict(tree.tsquery, tree.weight)})"
    parts = [_single_vector(child) for child in tree.children]
    if any(part is None for part in parts) or len({vector for vector, _ in parts}) != 1:
        return None
    vector = parts[0][0]
    if tree.operator == "not":
        return vector, f"!{parts[0][1]}"
    joiner = " & " if tree.operator == "and" else " | "
    return vector, "(" + joiner.join(text for _, text in parts) + ")"


def to_sql(tree: Tree) -> tuple[str, list]:
    """A WHERE condition over ``document`` and ``names`` for a pruned tree, with its parameters."""
    single = _single_vector(tree)
    if single is not None:
        vector, tsquery = single
        return f"{vector} @@ %s::tsquery", [tsquery]
    if tree.operator == "not":
        sql, params = to_sql(tree.children[0])
        return f"NOT ({sql})", params
    # Children on the same vector are joined into one tsquery; the rest are joined in SQL.
    grouped: dict[str, list[str]] = {}
    mixed = []
    for child in tree.children:
        part = _single_vector(child)
        if part is None:
            mixed.append(child)
        else:
            grouped.setdefault(part[0], []).append(part[1])
    joiner = " & " if tree.operator == "and" else " | "
    clauses, params = [], []
    for vector, parts in grouped.items():
        clauses.append(f"{vector} @@ %s::tsquery")
        params.append("(" + joiner.join(parts) + ")")
    for child in mixed:
        sql, child_params = to_sql(child)
        clauses.append(f"({sql})")
        params += child_params
    return "(" + (" AND " if tree.operator == "and" else " OR ").join(clauses) + ")", params


def ranking_queries(tree: Tree | None) -> dict[str, str]:
    """Per vector, the OR of the words that count for the match: what ``ts_rank_cd`` and the highlights weigh."""
    found: dict[str, list[str]] = {}
    for leaf, positive in leaves(tree):
        if positive and leaf.tsquery:
            found.setdefault(leaf.vector, []).append(f"({restrict(leaf.tsquery, leaf.weight)})")
    return {vector: " | ".join(parts) for vector, parts in found.items()}


def highlight_query(tree: Tree | None) -> str:
    """The words to mark in the body: every positive leaf, without weights (a body has no weights)."""
    parts = [f"({leaf.tsquery})" for leaf, positive in leaves(tree) if positive and leaf.tsquery]
    return " | ".join(parts)
