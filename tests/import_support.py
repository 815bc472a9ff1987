"""Shared builders for the import tests: files in each format's exact shape, with text written for the tests."""

HEADER = '<!DOCTYPE lewis SYSTEM "lewis.dtd">\n'


def story(
    newid="9001",
    date="12-MAR-1987 14:05:33.21",
    topics="<D>grain</D><D>wheat</D>",
    places="<D>usa</D>",
    people="",
    orgs="",
    text=None,
    text_type="",
):
    """One <REUTERS> element as the collection writes it; ``date=None`` leaves DATE out."""
    if text is None:
        text = (
            "&#2;\n<TITLE>FARMERS EXPECT LARGER WHEAT HARVEST</TITLE>\n"
            "<DATELINE>    KANSAS CITY, March 12 - </DATELINE><BODY>Farmers in the plains states\n"
            "expect a larger winter wheat harvest after &lt;heavy> rains, an\n"
            "industry group said.\n"
            "    Prices fell two cents &amp; volume was light.\n"
            " Reuter\n&#3;</BODY>"
        )
    date_line = f"<DATE>{date}</DATE>\n" if date is not None else ""
    return (
        f'<REUTERS TOPICS="YES" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="100" NEWID="{newid}">\n'
        f"{date_line}"
        f"<TOPICS>{topics}</TOPICS>\n<PLACES>{places}</PLACES>\n<PEOPLE>{people}</PEOPLE>\n"
        f"<ORGS>{orgs}</ORGS>\n<EXCHANGES></EXCHANGES>\n<COMPANIES></COMPANIES>\n"
        "<UNKNOWN> \n&#5;&#5;&#5;C T\n&#22;&#22;&#1;f0001&#31;reute\nu f BC-WHEAT-HARVEST 03-12 0050</UNKNOWN>\n"
        f"<TEXT{text_type}>{text}\n</TEXT>\n</REUTERS>\n"
    )


def reuters_file(path, *stories):
    """Write a Reuters-21578 SGML file holding these stories, Latin-1 as the collection is."""
    path.write_bytes((HEADER + "".join(stories)).encode("latin-1"))
    return path
