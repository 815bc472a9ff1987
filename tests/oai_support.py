"""OAI-PMH responses checked against the protocol's own XML schemas, read from tests/schemas/ (no network)."""

from functools import cache
from pathlib import Path

import xmlschema
from lxml import etree

SCHEMAS = Path(__file__).resolve().parent / "schemas"
OAI = "http://www.openarchives.org/OAI/2.0/"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
NS = {"oai": OAI, "oai_dc": OAI_DC, "dc": DC}
_REMOTE = {
    "http://www.openarchives.org/OAI/2.0/oai_dc.xsd": SCHEMAS / "oai_dc.xsd",
    "http://dublincore.org/schemas/xmls/simpledc20021212.xsd": SCHEMAS / "simpledc20021212.xsd",
}


@cache
def oai_schema() -> xmlschema.XMLSchema10:
    """OAI-PMH.xsd, which validates each record's metadata strictly, with oai_dc.xsd known to it."""
    return xmlschema.XMLSchema10(
        str(SCHEMAS / "OAI-PMH.xsd"),
        locations=[(OAI_DC, str(SCHEMAS / "oai_dc.xsd"))],
        uri_mapper=lambda uri: str(_REMOTE.get(uri, uri)),
        allow="local",
    )


def validated(body: bytes) -> etree._Element:
    """The response's root element, once the schemas accept it (an invalid one fails the test with the reason)."""
    root = etree.fromstring(body)
    oai_schema().validate(etree.tostring(root).decode())
    return root


def oai_get(client, **arguments) -> etree._Element:
    """A GET of /oai/ with these arguments (``from_`` for from), its status and content type checked."""
    if "from_" in arguments:
        arguments["from"] = arguments.pop("from_")
    response = client.get("/oai/", arguments)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    return validated(response.content)


def errors(root) -> list[tuple[str, str]]:
    return [(error.get("code"), error.text) for error in root.findall("oai:error", NS)]


def identifiers(root) -> list[str]:
    return [node.text for node in root.iterfind(".//oai:header/oai:identifier", NS)]


def token(root):
    return root.find(".//oai:resumptionToken", NS)


def dc_values(record, element: str) -> list[str]:
    return [node.text for node in record.iterfind(f".//dc:{element}", NS)]
