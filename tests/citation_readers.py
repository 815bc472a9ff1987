"""The readers researchers' tools stand for: rispy for RIS, bibtexparser 2 for BibTeX, citeproc-py for CSL-JSON.

bibtexparser decodes LaTeX with pylatexenc, whose tables lack
``\\textbraceleft`` and ``\\textbraceright`` (it drops them) and read
``\\textasciicircum`` as U+02C6 rather than the ``^`` LaTeX prints. The
decoder here is the one bibtexparser builds, with those three taught, so
that a brace or a caret LaTeX prints comes back as one.
"""

import re

import bibtexparser
import rispy
from bibtexparser.middlewares import NameParts, SeparateCoAuthors, SplitNameParts
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from pylatexenc import latex2text

# Harvard "Cite Them Right", the style citeproc-py ships: it prints author, year, title, paper, day and
# month, address and access date.
STYLE = "harvard-cite-them-right"
RIS_LINE = re.compile(r"[A-Z][A-Z0-9]  - [^\r\n]*\r\n")


def read_ris(text: str) -> list[dict]:
    """The references, after checking that every line is a well-formed ``TAG  - value`` line."""
    lines = text.splitlines(keepends=True)
    assert [line for line in lines if not RIS_LINE.fullmatch(line)] == []
    return rispy.loads(text)


def _latex_decoder() -> latex2text.LatexNodes2Text:
    context = latex2text.get_default_latex_context_db()
    context.add_context_category(
        "citation-readers",
        prepend=True,
        macros=[
            latex2text.MacroTextSpec("url", simplify_repl="%s"),
            latex2text.MacroTextSpec("textbraceleft", "{"),
            latex2text.MacroTextSpec("textbraceright", "}"),
            latex2text.MacroTextSpec("textasciicircum", "^"),
        ],
    )
    return latex2text.LatexNodes2Text(latex_context=context, math_mode="verbatim")


DECODER = _latex_decoder()


def read_bibtex(text: str) -> list:
    """The entries with authors split into name parts, and LaTeX decoded; nothing may fail to parse.

    Names are split before they are decoded, as BibTeX does (a braced
    organisation is one name); bibtexparser's decoding middleware skips lists
    of names, so the decoder runs here on each field and each name part.
    URLs are verbatim in biblatex and are left as written.
    """
    library = bibtexparser.parse_string(text, append_middleware=[SeparateCoAuthors(), SplitNameParts()])
    assert library.failed_blocks == []
    for entry in library.entries:
        for field in entry.fields:
            if field.key == "author":
                field.value = [_decoded_name(name) for name in field.value]
            elif field.key != "url":
                field.value = DECODER.latex_to_text(field.value)
    return library.entries


def _decoded_name(name: NameParts) -> NameParts:
    def decode(parts):
        return [DECODER.latex_to_text(part) for part in parts]

    return NameParts(first=decode(name.first), von=decode(name.von), last=decode(name.last), jr=decode(name.jr))


def render_csl(items: list[dict]) -> list[str]:
    """Each item's bibliography entry in plain text."""
    style = CitationStylesStyle(STYLE, validate=False)
    bibliography = CitationStylesBibliography(style, CiteProcJSON(items), formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    return [str(entry) for entry in bibliography.bibliography()]
