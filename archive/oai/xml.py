"""Writing an OAI-PMH answer as XML, with the standard library's SAX writer.

Article text may hold characters XML 1.0 cannot carry (control characters
from a wire feed); they are left out here, so every response parses.
"""

import datetime as dt
import io
import re
from xml.sax.saxutils import XMLGenerator

from archive.oai import metadata
from archive.oai.protocol import DELETED_RECORD, GRANULARITY, PROTOCOL_VERSION, Answer, Header, Record

OAI_NAMESPACE = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance"
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def datestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Writer:
    def __init__(self):
        self.buffer = io.StringIO()
        self.sax = XMLGenerator(self.buffer, encoding="utf-8", short_empty_elements=True)
        self.sax.startDocument()

    def start(self, name: str, attributes: dict[str, str] | None = None) -> None:
        self.sax.startElement(name, {key: _clean(value) for key, value in (attributes or {}).items()})

    def end(self, name: str) -> None:
        self.sax.endElement(name)

    def element(self, name: str, text: str, attributes: dict[str, str] | None = None) -> None:
        self.start(name, attributes)
        self.sax.characters(_clean(text))
        self.end(name)

    def result(self) -> bytes:
        self.sax.endDocument()
        return self.buffer.getvalue().encode()


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def render(answer: Answer, *, base_url: str, now: dt.datetime) -> bytes:
    out = _Writer()
    out.start(
        "OAI-PMH",
        {"xmlns": OAI_NAMESPACE, "xmlns:xsi": XSI_NAMESPACE, "xsi:schemaLocation": f"{OAI_NAMESPACE} {OAI_SCHEMA}"},
    )
    out.element("responseDate", datestamp(now))
    # The protocol echoes the arguments, unless they were what was wrong with the request.
    refused = any(error.code in {"badVerb", "badArgument"} for error in answer.errors)
    out.element("request", base_url, {} if refused else {"verb": answer.verb, **answer.arguments})
    if answer.errors:
        for error in answer.errors:
            out.element("error", error.message, {"code": error.code})
    else:
        out.start(answer.verb)
        _BODIES[answer.verb](out, answer, base_url)
        out.end(answer.verb)
    out.end("OAI-PMH")
    return out.result()


def _identify(out: _Writer, answer: Answer, base_url: str) -> None:
    identify = answer.identify
    out.element("repositoryName", identify.repository_name)
    out.element("baseURL", base_url)
    out.element("protocolVersion", PROTOCOL_VERSION)
    for email in identify.admin_emails:
        out.element("adminEmail", email)
    out.element("earliestDatestamp", datestamp(identify.earliest_datestamp))
    out.element("deletedRecord", DELETED_RECORD)
    out.element("granularity", GRANULARITY)


def _list_metadata_formats(out: _Writer, answer: Answer, base_url: str) -> None:
    for prefix, schema, namespace in answer.formats:
        out.start("metadataFormat")
        out.element("metadataPrefix", prefix)
        out.element("schema", schema)
        out.element("metadataNamespace", namespace)
        out.end("metadataFormat")


def _list_sets(out: _Writer, answer: Answer, base_url: str) -> None:
    for spec, name in answer.sets:
        out.start("set")
        out.element("setSpec", spec)
        out.element("setName", name)
        out.end("set")
    _resumption(out, answer)


def _get_record(out: _Writer, answer: Answer, base_url: str) -> None:
    _record(out, answer.records[0])


def _list_records(out: _Writer, answer: Answer, base_url: str) -> None:
    for record in answer.records:
        _record(out, record)
    _resumption(out, answer)


def _list_identifiers(out: _Writer, answer: Answer, base_url: str) -> None:
    for header in answer.headers:
        _header(out, header)
    _resumption(out, answer)


def _header(out: _Writer, header: Header) -> None:
    out.start("header", {"status": "deleted"} if header.deleted else None)
    out.element("identifier", header.identifier)
    out.element("datestamp", datestamp(header.datestamp))
    for spec in header.set_specs:
        out.element("setSpec", spec)
    out.end("header")


def _record(out: _Writer, record: Record) -> None:
    out.start("record")
    _header(out, record.header)
    if record.metadata is not None:
        out.start("metadata")
        out.start(
            "oai_dc:dc",
            {
                "xmlns:oai_dc": metadata.OAI_DC_NAMESPACE,
                "xmlns:dc": metadata.DC_NAMESPACE,
                "xsi:schemaLocation": f"{metadata.OAI_DC_NAMESPACE} {metadata.OAI_DC_SCHEMA}",
            },
        )
        for element, value in record.metadata.items():
            out.element(f"dc:{element}", value)
        out.end("oai_dc:dc")
        out.end("metadata")
    out.end("record")


def _resumption(out: _Writer, answer: Answer) -> None:
    resumption = answer.resumption
    if resumption is None:
        return
    attributes = {"completeListSize": str(resumption.complete_list_size), "cursor": str(resumption.cursor)}
    if resumption.expiration is not None:
        attributes["expirationDate"] = datestamp(resumption.expiration)
    out.element("resumptionToken", resumption.token, attributes)


_BODIES = {
    "Identify": _identify,
    "ListMetadataFormats": _list_metadata_formats,
    "ListSets": _list_sets,
    "GetRecord": _get_record,
    "ListIdentifiers": _list_identifiers,
    "ListRecords": _list_records,
}
