"""CSV that a spreadsheet opens as data, never as formulas (OWASP's advice on CSV injection).

Excel, LibreOffice and Google Sheets run a cell beginning with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return as a formula, so a title such as
``=HYPERLINK(...)`` in an article would become a live link or command. Every
CSV the archive writes goes through ``FormulaSafeWriter``, which puts a single quote
in front of such a cell: spreadsheets read it as "text follows" and do not
show it. Plain numbers (a longitude of ``-3.7``) are left as they are: a
number is never a formula, and researchers sort and plot them.

A cell already beginning with quotes before such a character gets one more,
so ``restore_cell`` takes off exactly the quote the export added and a file
the archive wrote imports back unchanged.
"""

import csv
import re
from collections.abc import Iterable

FORMULA_START = re.compile(r"'*[=+\-@\t\r]")
ADDED_QUOTE = re.compile(r"'+[=+\-@\t\r]")
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def neutralise_cell(value: str) -> str:
    """The cell as written to CSV: with a leading quote if a spreadsheet would run it as a formula."""
    if FORMULA_START.match(value) and not NUMBER.fullmatch(value):
        return "'" + value
    return value


def restore_cell(value: str) -> str:
    """The cell as it was before ``neutralise_cell``: the one quote it added taken off."""
    return value[1:] if ADDED_QUOTE.match(value) else value


class FormulaSafeWriter:
    """A ``csv.writer`` whose every cell goes through ``neutralise_cell``."""

    def __init__(self, file, **options):
        self._writer = csv.writer(file, **options)

    def writerow(self, row: Iterable[str]):
        return self._writer.writerow([neutralise_cell(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[str]]):
        for row in rows:
            self.writerow(row)
