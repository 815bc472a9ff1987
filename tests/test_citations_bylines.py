"""Authors read from bylines as newsrooms and importers leave them: people, agencies, or nobody."""

import pytest

from archive.citations.bylines import Organisation, Person, byline_authors


@pytest.mark.parametrize(
    ("byline", "source", "authors"),
    [
        ("By John Smith and Jane Doe", "", [Person("Smith", "John"), Person("Doe", "Jane")]),
        ("John Smith, Jane Doe & Bob Lee", "", [Person("Smith", "John"), Person("Doe", "Jane"), Person("Lee", "Bob")]),
        ("Smith, John", "", [Person("Smith", "John")]),
        ("Smith, John and Doe, Jane", "", [Person("Smith", "John"), Person("Doe", "Jane")]),
        ("Smith, J. R.", "", [Person("Smith", "J. R.")]),
        ("Ærø, Zoë", "", [Person("Ærø", "Zoë")]),
        ("Jan van der Berg", "", [Person("Berg", "Jan", "van der")]),
        ("de la Cruz, Maria", "", [Person("Cruz", "Maria", "de la")]),
        ("Van Morrison", "", [Person("Morrison", "Van")]),
        ("John Smith, Jr.", "", [Person("Smith", "John", suffix="Jr.")]),
        ("STEPHEN JUKES AND PHILIP SHEHADI", "Reuters", [Person("Jukes", "Stephen"), Person("Shehadi", "Philip")]),
        ("TED D'AFFLISIO", "Reuters", [Person("D'Afflisio", "Ted")]),
        ("Colin Brinsden, Reuters.", "Reuters", [Person("Brinsden", "Colin")]),
        ("John Smith in Rome", "", [Person("Smith", "John")]),
        ("John Smith, Defence Correspondent", "", [Person("Smith", "John")]),
        ("John Smith and agencies", "", [Person("Smith", "John")]),
        ("Chaitanya Kalbag", "Reuters", [Person("Kalbag", "Chaitanya")]),
        ("Mohammed", "", [Person("Mohammed")]),
        ("Reuters", "Reuters", [Organisation("Reuters")]),
        ("REUTERS", "", [Organisation("Reuters")]),
        ("Reuters Staff", "", [Organisation("Reuters")]),
        ("AP", "", [Organisation("Associated Press")]),
        ("AFP; Reuters", "", [Organisation("Agence France-Presse"), Organisation("Reuters")]),
        ("WAFA", "", [Organisation("WAFA")]),
        ("Xinhua News Agency", "", [Organisation("Xinhua News Agency")]),
        ("The Editorial Board", "", [Organisation("The Editorial Board")]),
        (
            "International Business Times",
            "International Business Times",
            [Organisation("International Business Times")],
        ),
        ("Staff Writer", "International Business Times", []),
        ("By Our Correspondent", "", []),
        ("Agencies", "", []),
        ("By", "", []),
        ("", "", []),
        ("  \t\n ", "", []),
    ],
)
def test_byline_names_its_authors(byline, source, authors):
    """People with family and given names (particles and suffixes apart), agencies as one organisation name
    (not counted beside a reporter, whose employer they are), and no author for a role without a name."""
    assert list(byline_authors(byline, source=source)) == authors
