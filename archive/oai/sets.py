"""Set specs: the names harvesters use to ask for a tag, a country or a source.

A setSpec may hold only letters, digits and ``-_.!~*'()``, with ``:`` for
the hierarchy, so names are turned into specs here and nowhere else. Each
kind is also a set of its own (``tag`` holds every tagged record), as the
protocol's set hierarchy asks.
"""

import hashlib
import re

from django.utils.text import slugify

TAG, COUNTRY, SOURCE = "tag", "country", "source"
KIND_NAMES = {TAG: "Tags", COUNTRY: "Places, by country", SOURCE: "Sources"}
_LEAF_LABELS = {TAG: "Tag", COUNTRY: "Country", SOURCE: "Source"}
_SPEC_PART = re.compile(r"^[A-Za-z0-9\-_.!~*'()]+$")
SPEC = re.compile(r"^[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*$")
# Leaves the spec column room for its kind.
_MAX_PART = 200


def tag_spec(*, slug: str, pk: int) -> str:
    """Taggit keeps a tag's slug through renames; a slug the protocol cannot carry falls back to the id."""
    return f"{TAG}:{slug}" if _SPEC_PART.match(slug) and len(slug) <= _MAX_PART else f"{TAG}:id.{pk}"


def country_spec(code: str) -> str:
    return f"{COUNTRY}:{code.upper()}"


def source_spec(source: str) -> str:
    """Sources are free text: 'Reuters' and 'reuters' are one set; a name with no Latin letters is hashed."""
    slug = slugify(source)[:_MAX_PART]
    if not slug:
        slug = "sha1." + hashlib.sha1(source.encode()).hexdigest()[:16]
    return f"{SOURCE}:{slug}"


def leaf_name(kind: str, name: str) -> str:
    return f"{_LEAF_LABELS[kind]}: {name}"


def kind_of(spec: str) -> str:
    return spec.partition(":")[0]
