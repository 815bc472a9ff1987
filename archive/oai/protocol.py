"""OAI-PMH 2.0: a request's arguments checked, the verb answered, errors named as the protocol names them.

No library on PyPI serves our lists (see the README's *OAI-PMH* section): the
answers are built here as plain data, and ``archive.oai.xml`` writes them.

Resumption tokens carry the whole state of a list (the request, the last
article id sent, the cursor and the list's size at its first page), signed
with the site's secret key so they cannot be forged, and dated so they
expire: any web process can answer any page, and nothing is stored.
"""

import datetime as dt
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.utils import timezone

from archive.oai import metadata, selectors, sets
from archive.oai.metadata import DublinCore
from archive.oai.selectors import RecordFilter

PROTOCOL_VERSION = "2.0"
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
DELETED_RECORD = "persistent"
TOKEN_SALT = "archive.oai.resumption"

# Each verb's arguments: required, optional, and the one that must stand alone.
ARGUMENTS = {
    "Identify": (set(), set(), None),
    "ListMetadataFormats": (set(), {"identifier"}, None),
    "ListSets": (set(), set(), "resumptionToken"),
    "GetRecord": ({"identifier", "metadataPrefix"}, set(), None),
    "ListIdentifiers": ({"metadataPrefix"}, {"from", "until", "set"}, "resumptionToken"),
    "ListRecords": ({"metadataPrefix"}, {"from", "until", "set"}, "resumptionToken"),
}
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SECOND = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_PREFIX = re.compile(r"^[A-Za-z0-9\-_.!~*'()]+$")


class OaiError(Exception):
    """A protocol error: its code is one of the protocol's, its message says what to change."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Header:
    identifier: str
    datestamp: dt.datetime
    set_specs: list[str]
    deleted: bool


@dataclass(frozen=True)
class Record:
    header: Header
    metadata: DublinCore | None


@dataclass(frozen=True)
class Resumption:
    """The resumptionToken element: an empty ``token`` closes a list sent in several pages."""

    token: str
    cursor: int
    complete_list_size: int
    expiration: dt.datetime | None


@dataclass(frozen=True)
class Identify:
    repository_name: str
    admin_emails: list[str]
    earliest_datestamp: dt.datetime


@dataclass
class Answer:
    """Everything a response holds; ``arguments`` is empty when the request itself was refused."""

    verb: str | None
    arguments: dict[str, str] = field(default_factory=dict)
    errors: list[OaiError] = field(default_factory=list)
    identify: Identify | None = None
    formats: list[tuple[str, str, str]] = field(default_factory=list)
    sets: list[tuple[str, str]] = field(default_factory=list)
    headers: list[Header] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    resumption: Resumption | None = None


@dataclass(frozen=True)
class Repository:
    """Where the answers point: the identifiers' namespace and the public article URLs."""

    namespace: str
    article_url: str

    def identifier(self, article_id: int) -> str:
        return f"oai:{self.namespace}:articles/{article_id}"

    def article_id(self, identifier: str) -> int | None:
        prefix = f"oai:{self.namespace}:articles/"
        local = identifier[len(prefix) :] if identifier.startswith(prefix) else ""
        return int(local) if local.isascii() and local.isdigit() and len(local) < 19 else None


def answer(query, *, repository: Repository) -> Answer:
    """The answer to a request's arguments (a ``QueryDict``): errors included, never an exception."""
    verbs = query.getlist("verb")
    if len(verbs) != 1 or verbs[0] not in ARGUMENTS:
        return Answer(verb=None, errors=[_bad_verb(verbs)])
    verb = verbs[0]
    try:
        arguments = _arguments(verb, query)
    except OaiError as error:
        return Answer(verb=verb, errors=[error])
    result = Answer(verb=verb, arguments=arguments)
    try:
        _VERBS[verb](result, arguments, repository)
    except OaiError as error:
        return Answer(verb=verb, arguments=arguments, errors=[error])
    return result


def _bad_verb(verbs: list[str]) -> OaiError:
    if not verbs:
        return OaiError("badVerb", "The verb argument is missing.")
    if len(verbs) > 1:
        return OaiError("badVerb", "The verb argument is repeated.")
    return OaiError("badVerb", f"'{verbs[0]}' is not an OAI-PMH verb; the verbs are {', '.join(sorted(ARGUMENTS))}.")


def _arguments(verb: str, query) -> dict[str, str]:
    required, optional, exclusive = ARGUMENTS[verb]
    arguments = {}
    for name in query:
        if name == "verb":
            continue
        values = query.getlist(name)
        if name not in required | optional | {exclusive}:
            raise OaiError("badArgument", f"{verb} takes no '{name}' argument.")
        if len(values) > 1:
            raise OaiError("badArgument", f"The '{name}' argument is repeated.")
        arguments[name] = values[0]
    if exclusive in arguments:
        if len(arguments) > 1:
            others = ", ".join(sorted(name for name in arguments if name != exclusive))
            raise OaiError("badArgument", f"The {exclusive} argument must stand alone, but {others} came with it.")
        return arguments
    missing = sorted(required - set(arguments))
    if missing:
        raise OaiError("badArgument", f"{verb} needs the {' and '.join(missing)} argument{'s' * (len(missing) > 1)}.")
    return arguments


def _identify(result: Answer, arguments: dict, repository: Repository) -> None:
    earliest = selectors.earliest_datestamp() or timezone.now()
    result.identify = Identify(
        repository_name=settings.ARCHIVE_OAI["REPOSITORY_NAME"],
        admin_emails=list(settings.ARCHIVE_OAI["ADMIN_EMAILS"]),
        earliest_datestamp=earliest,
    )


def _list_metadata_formats(result: Answer, arguments: dict, repository: Repository) -> None:
    if "identifier" in arguments:
        _existing_record(arguments["identifier"], repository)
    result.formats = [(prefix, schema, namespace) for prefix, (schema, namespace) in metadata.FORMATS.items()]


def _get_record(result: Answer, arguments: dict, repository: Repository) -> None:
    _check_format(arguments["metadataPrefix"])
    record = _existing_record(arguments["identifier"], repository)
    result.records = _records([record], repository=repository)


def _existing_record(identifier: str, repository: Repository):
    article_id = repository.article_id(identifier)
    record = selectors.record(article_id) if article_id is not None else None
    if record is None:
        raise OaiError("idDoesNotExist", f"This archive has no record '{identifier}'.")
    return record


def _check_prefix_syntax(prefix: str) -> None:
    if not _PREFIX.match(prefix):
        raise OaiError("badArgument", f"'{prefix}' is not a metadata prefix; ListMetadataFormats names them.")


def _check_format(prefix: str) -> None:
    _check_prefix_syntax(prefix)
    if prefix not in metadata.FORMATS:
        raise OaiError(
            "cannotDisseminateFormat",
            f"The metadata format '{prefix}' is not offered; ListMetadataFormats names those that are.",
        )


def _list_records(result: Answer, arguments: dict, repository: Repository) -> None:
    _list(result, arguments, repository, with_metadata=True)


def _list_identifiers(result: Answer, arguments: dict, repository: Repository) -> None:
    _list(result, arguments, repository, with_metadata=False)


def _list(result: Answer, arguments: dict, repository: Repository, *, with_metadata: bool) -> None:
    if "resumptionToken" in arguments:
        state = _read_token(arguments["resumptionToken"], verb=result.verb)
        selection = RecordFilter(since=_from_iso(state["f"]), before=_from_iso(state["b"]), set_spec=state["s"] or None)
        after, cursor, total, prefix = state["a"], state["c"], state["n"], state["p"]
    else:
        prefix = arguments["metadataPrefix"]
        _check_prefix_syntax(prefix)
        selection = _selection(arguments)
        _check_format(prefix)
        after, cursor, total = 0, 0, None
    page_size = settings.ARCHIVE_OAI["PAGE_SIZE"]
    records, more = selectors.records_page(selection, after=after, size=page_size)
    if not records:
        raise OaiError("noRecordsMatch", "No record matches these from, until and set arguments.")
    if with_metadata:
        result.records = _records(records, repository=repository)
    else:
        result.headers = _headers(records, repository=repository)
    if total is None and not more:
        return
    if total is None:
        total = selectors.count_records(selection)
    sent = cursor + len(records)
    state = {
        "v": result.verb,
        "p": prefix,
        "s": selection.set_spec or "",
        "f": _to_iso(selection.since),
        "b": _to_iso(selection.before),
        "a": records[-1].article_id,
        "c": sent,
        "n": max(total, sent + int(more)),
    }
    result.resumption = _resumption(state, cursor=cursor, total=state["n"], more=more)


def _selection(arguments: dict) -> RecordFilter:
    since, since_day = _datestamp(arguments.get("from"), "from")
    until, until_day = _datestamp(arguments.get("until"), "until")
    if since is not None and until is not None:
        if since_day != until_day:
            raise OaiError("badArgument", "The from and until arguments must have the same granularity.")
        if since > until:
            raise OaiError("badArgument", "The from argument is later than the until argument.")
    before = None
    if until is not None and until < dt.datetime(9999, 12, 31, tzinfo=dt.UTC):
        # until is inclusive at its granularity: the whole day, or the whole second.
        before = until + (dt.timedelta(days=1) if until_day else dt.timedelta(seconds=1))
    set_spec = arguments.get("set")
    if set_spec is not None:
        if not sets.SPEC.match(set_spec):
            raise OaiError("badArgument", f"'{set_spec}' is not a set spec; ListSets names the sets.")
        if not selectors.has_sets():
            raise OaiError("noSetHierarchy", "This archive has no sets yet: no article has been published.")
    return RecordFilter(since=since, before=before, set_spec=set_spec)


def _datestamp(value: str | None, name: str) -> tuple[dt.datetime | None, bool]:
    """A from or until argument as a UTC time, and whether it was given to the day."""
    if value is None:
        return None, False
    try:
        if _SECOND.match(value):
            return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC), False
        if _DAY.match(value):
            return dt.datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=dt.UTC), True
    except ValueError:
        pass
    raise OaiError(
        "badArgument", f"The {name} argument '{value}' is not a UTC date as YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ."
    )


def _list_sets(result: Answer, arguments: dict, repository: Repository) -> None:
    if "resumptionToken" in arguments:
        state = _read_token(arguments["resumptionToken"], verb=result.verb)
        after, cursor, total = state["a"], state["c"], state["n"]
    else:
        if not selectors.has_sets():
            raise OaiError("noSetHierarchy", "This archive has no sets yet: no article has been published.")
        after, cursor, total = "", 0, None
    found, more = selectors.sets_page(after=after, size=settings.ARCHIVE_OAI["PAGE_SIZE"])
    if not found:
        raise OaiError("badResumptionToken", "No sets are left after this resumption token; start ListSets again.")
    result.sets = [(oai_set.spec, oai_set.name) for oai_set in found]
    if total is None and not more:
        return
    if total is None:
        total = selectors.count_sets()
    sent = cursor + len(found)
    state = {"v": result.verb, "a": found[-1].spec, "c": sent, "n": max(total, sent + int(more))}
    result.resumption = _resumption(state, cursor=cursor, total=state["n"], more=more)


def _resumption(state: dict, *, cursor: int, total: int, more: bool) -> Resumption:
    if not more:
        return Resumption(token="", cursor=cursor, complete_list_size=total, expiration=None)
    lifetime = settings.ARCHIVE_OAI["TOKEN_LIFETIME"]
    expiration = (timezone.now() + lifetime).replace(microsecond=0)
    token = signing.dumps(state, salt=TOKEN_SALT, compress=True)
    return Resumption(token=token, cursor=cursor, complete_list_size=total, expiration=expiration)


def _read_token(token: str, *, verb: str) -> dict:
    lifetime = settings.ARCHIVE_OAI["TOKEN_LIFETIME"]
    try:
        state = signing.loads(token, salt=TOKEN_SALT, max_age=lifetime)
    except signing.SignatureExpired:
        raise OaiError(
            "badResumptionToken", f"This resumption token has expired (tokens last {_duration(lifetime)})."
        ) from None
    except signing.BadSignature:
        raise OaiError("badResumptionToken", "This resumption token was not issued by this archive.") from None
    if not isinstance(state, dict) or state.get("v") != verb:
        raise OaiError("badResumptionToken", f"This resumption token does not continue a {verb} list.")
    return state


def _duration(lifetime: dt.timedelta) -> str:
    hours = lifetime.total_seconds() / 3600
    return f"{hours:g} hour{'s' * (hours != 1)}"


def _to_iso(moment: dt.datetime | None) -> str:
    return moment.isoformat() if moment is not None else ""


def _from_iso(value: str) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _headers(records, *, repository: Repository) -> list[Header]:
    specs = selectors.set_specs([record.article_id for record in records])
    return [
        Header(
            identifier=repository.identifier(record.article_id),
            datestamp=record.datestamp,
            set_specs=specs[record.article_id],
            deleted=record.deleted,
        )
        for record in records
    ]


def _records(records, *, repository: Repository) -> list[Record]:
    """Headers with their Dublin Core; a record whose article is no longer published goes out as deleted."""
    headers = _headers(records, repository=repository)
    live = [record.article_id for record in records if not record.deleted]
    documents = metadata.dublin_core_records(live, article_url=repository.article_url)
    answered = []
    for record, header in zip(records, headers, strict=True):
        document = documents.get(record.article_id)
        if document is None and not header.deleted:
            # Withdrawn after this page's records were read: the next harvest has its new datestamp.
            header = Header(header.identifier, header.datestamp, header.set_specs, deleted=True)
        answered.append(Record(header=header, metadata=None if header.deleted else document))
    return answered


_VERBS = {
    "Identify": _identify,
    "ListMetadataFormats": _list_metadata_formats,
    "ListSets": _list_sets,
    "GetRecord": _get_record,
    "ListIdentifiers": _list_identifiers,
    "ListRecords": _list_records,
}
