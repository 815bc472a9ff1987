"""Actor and place authority lists as CSV: export, and import checked row by row before anything is written."""

import csv
import io

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from archive.models import Actor, Place, PlaceType
from tests.admin_support import archivist_fixture, client_for, editor_fixture  # noqa: F401
from tests.factories import ActorFactory, ActorNameFactory, PlaceFactory

pytestmark = pytest.mark.django_db

PLACES_CSV = (
    "name,type,alternate_names,parent,country_code,latitude,longitude,status\n"
    "Italy,country,Italia; Italian Republic,,IT,42.5,12.5,published\n"
    "Sicily,region,Sicilia,Italy,IT,37.6,14.0,published\n"
    "Sigonella Naval Air Station,Site or base,NAS Sigonella,Sicily,IT,37.4017,14.9222,published\n"
    "Atlantis,island,,,,,,\n"
    "Sabratha,city,,Libya,LY,32.79,12.48,\n"
    "Tripoli,city,,,LY,95,13.2,\n"
    ",city,,,,,,\n"
)


def check(client, model: str, text: str):
    upload = SimpleUploadedFile("list.csv", text.encode(), content_type="text/csv")
    return client.post(reverse(f"admin:archive_{model}_import_csv"), {"csv_file": upload})


def test_csv_check_lists_rejected_rows_and_writes_nothing(editor):
    """Checking a file reports each bad row with its line and reason, and stores nothing yet."""
    response = check(client_for(editor), "place", PLACES_CSV)
    assert response.context["check"].rejected == [
        (5, "the type 'island' is not one of: country, region, city, site, other"),
        (6, "the parent 'Libya' is neither a stored place nor a place earlier in the file"),
        (7, "the latitude 95.0 is outside -90 to 90"),
        (8, "the name is empty"),
    ]
    assert len(response.context["check"].rows) == 3
    assert "Write the 3 valid rows" in response.content.decode()
    assert Place.objects.count() == 0


def test_confirmed_csv_import_writes_the_valid_rows(editor):
    """Confirming writes the rows that passed, with parents, coordinates and alternate names."""
    client = client_for(editor)
    text = check(client, "place", PLACES_CSV).context["form"].initial["text"]
    response = client.post(reverse("admin:archive_place_import_csv"), {"text": text, "confirm": "1"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Created 3 and updated 0 places; 4 rows rejected."]
    base = Place.objects.get(name="Sigonella Naval Air Station")
    assert (base.type, base.parent.name, base.parent.parent.name) == (PlaceType.SITE, "Sicily", "Italy")
    assert (base.latitude, base.longitude, base.country_code) == (37.4017, 14.9222, "IT")
    assert sorted(Place.objects.get(name="Italy").alternate_names.values_list("name", flat=True)) == [
        "Italia",
        "Italian Republic",
    ]


def test_csv_import_updates_without_blanking_or_removing(editor):
    """A row for a stored actor updates the columns given, keeps the others, and only adds alternate names."""
    nato = ActorFactory(name="NATO", type="international_organisation", description="Military alliance.")
    ActorNameFactory(actor=nato, name="OTAN")
    text = "name,type,alternate_names,external_id\nNATO,International organisation,North Atlantic Alliance,Q7184\n"
    client = client_for(editor)
    response = client.post(reverse("admin:archive_actor_import_csv"), {"text": text, "confirm": "1"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Created 0 and updated 1 actors; 0 rows rejected."]
    nato.refresh_from_db()
    assert (nato.external_id, nato.description) == ("Q7184", "Military alliance.")
    assert sorted(nato.alternate_names.values_list("name", flat=True)) == ["North Atlantic Alliance", "OTAN"]


def test_archivist_cannot_publish_through_csv(archivist):
    """An archivist's row asking for published is rejected; rows without a status become drafts."""
    text = "name,type,status\nNoureddine Chouchane,person,published\nSaif al-Adel,person,\n"
    response = check(client_for(archivist), "actor", text)
    assert response.context["check"].rejected == [
        (2, "Only editors may publish this record; save it as a draft for an editor to check.")
    ]
    client_for(archivist).post(reverse("admin:archive_actor_import_csv"), {"text": text, "confirm": "1"})
    assert list(Actor.objects.values_list("name", "status")) == [("Saif al-Adel", "draft")]


def test_wrong_header_is_one_clear_rejection(editor):
    """A file without name and type columns is rejected as a whole with the expected columns named."""
    response = check(client_for(editor), "actor", "label,kind\nNATO,organisation\n")
    assert response.context["check"].rejected == [
        (
            1,
            "The header must name the columns name and type, and only these columns: "
            "name, type, alternate_names, description, external_id, status.",
        )
    ]


def test_non_utf8_file_is_refused(editor):
    """A file that is not UTF-8 gets one message saying how to fix it."""
    upload = SimpleUploadedFile("list.csv", "name,type\nK\xf6ln,city\n".encode("latin-1"))
    response = client_for(editor).post(reverse("admin:archive_place_import_csv"), {"csv_file": upload})
    assert response.context["form"].non_field_errors() == [
        "The file is not UTF-8 text; save it as CSV UTF-8 and upload it again."
    ]


def test_export_then_import_round_trips(editor):
    """An exported place list imports back as updates of the same records."""
    italy = PlaceFactory(name="Italy", type="country", country_code="IT", latitude=42.5, longitude=12.5)
    PlaceFactory(name="Sicily", type="region", parent=italy, country_code="IT")
    client = client_for(editor)
    response = client.post(
        reverse("admin:archive_place_changelist"),
        {
            "action": "export_authority_csv",
            "index": 0,
            ACTION_CHECKBOX_NAME: list(Place.objects.values_list("pk", flat=True)),
        },
    )
    text = response.content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["name"], r["parent"], r["latitude"]) for r in rows] == [("Italy", "", "42.5"), ("Sicily", "Italy", "")]
    result = client.post(reverse("admin:archive_place_import_csv"), {"text": text, "confirm": "1"}, follow=True)
    assert [str(m) for m in result.context["messages"]] == ["Created 0 and updated 2 places; 0 rows rejected."]
    assert Place.objects.count() == 2


def test_exported_formula_names_are_quoted_and_import_back_unchanged(editor):
    """An actor named like a formula is exported with a leading quote, which the import takes off again."""
    ActorFactory(name='=HYPERLINK("http://attacker.example/","NATO")', type="organisation", description="-1 member")
    ActorFactory(name="-Bloc", type="organisation", external_id="'=quoted")
    client = client_for(editor)
    response = client.post(
        reverse("admin:archive_actor_changelist"),
        {
            "action": "export_authority_csv",
            "index": 0,
            ACTION_CHECKBOX_NAME: list(Actor.objects.values_list("pk", flat=True)),
        },
    )
    text = response.content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted((r["name"], r["description"], r["external_id"]) for r in rows) == [
        ("'-Bloc", "", "''=quoted"),
        ("""'=HYPERLINK("http://attacker.example/","NATO")""", "'-1 member", ""),
    ]
    result = client.post(reverse("admin:archive_actor_import_csv"), {"text": text, "confirm": "1"}, follow=True)
    assert [str(m) for m in result.context["messages"]] == ["Created 0 and updated 2 actors; 0 rows rejected."]
    assert sorted(Actor.objects.values_list("name", "description", "external_id")) == [
        ("-Bloc", "", "'=quoted"),
        ('=HYPERLINK("http://attacker.example/","NATO")', "-1 member", ""),
    ]
