"""Importing from the admin: files or zips uploaded, imported in the background, the result shown on the page."""

import datetime as dt
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from archive.models import Article, ImportJob, ImportJobStatus
from archive.services.imports import articles_import
from archive.services.uploads import import_job_create, import_job_wait, upload_folder
from tests.admin_support import archivist_fixture, client_for  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

HARBOUR = (
    "Dock Workers End Week-Long Strike in Genoa\n\n"
    "By Maria Rossi | Mar 3, 2016 09:15 AM EST\n\n"
    "Dock workers in Genoa returned to work on Thursday after a week-long strike over night shifts.\n\n"
    "The port authority said container traffic would be back to normal by the weekend.\n"
)
FERRY = (
    "Ferry Service to Sardinia Resumes After Storm\n\n"
    "By Luca Bianchi | Mar 5, 2016 11:30 AM EST\n\n"
    "Ferries between Civitavecchia and Olbia sailed again on Saturday after two days of gales.\n"
)


def text_file(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/plain")


def zip_of(name: str, members: dict[str, bytes]) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/zip")


def upload(client, *files) -> ImportJob:
    response = client.post(reverse("admin:archive_importjob_add"), {"upload": list(files)})
    assert response.status_code == 302, response.content.decode()[:2000]
    job = ImportJob.objects.latest("pk")
    import_job_wait(job=job, timeout=60)
    job.refresh_from_db()
    return job


def test_uploaded_files_are_imported_and_the_result_shown(archivist):
    """Two plain-text files become two draft articles, and the result page says two were created."""
    client = client_for(archivist)
    job = upload(client, text_file("genoa-strike.txt", HARBOUR), text_file("sardinia-ferry.txt", FERRY))
    assert (job.status, job.created, job.unchanged, job.failed) == (ImportJobStatus.DONE, 2, 0, 0)
    assert set(Article.objects.values_list("title", flat=True)) == {
        "Dock Workers End Week-Long Strike in Genoa",
        "Ferry Service to Sardinia Resumes After Storm",
    }
    assert set(Article.objects.values_list("status", flat=True)) == {"draft"}
    page = client.get(reverse("admin:archive_importjob_change", args=[job.pk])).content.decode()
    assert '<td id="import-created">2</td>' in page
    assert "Finished at" in page


def test_zip_upload_with_a_bad_member_reports_it_and_imports_the_rest(archivist):
    """A zip's good files are imported; an empty one is a failure line naming it; a re-upload changes nothing."""
    client = client_for(archivist)
    bundle = {"march/genoa.txt": HARBOUR.encode(), "march/empty.txt": b"", "__MACOSX/._genoa.txt": b"junk"}
    job = upload(client, zip_of("march.zip", bundle))
    assert (job.created, job.failed) == (1, 1)
    assert job.failures == ["empty.txt: empty file"]
    page = client.get(reverse("admin:archive_importjob_change", args=[job.pk])).content.decode()
    assert job.failures[0] in page

    again = upload(client, zip_of("march.zip", {"march/genoa.txt": HARBOUR.encode()}))
    assert (again.created, again.unchanged) == (0, 1)
    assert Article.objects.count() == 1


def test_a_file_that_is_not_a_zip_is_reported(archivist):
    """A broken zip is one failure line and the other uploaded files are still imported."""
    job = upload(
        client_for(archivist),
        SimpleUploadedFile("broken.zip", b"this is not a zip", content_type="application/zip"),
        text_file("ferry.txt", FERRY),
    )
    assert job.failures == ["broken.zip: File is not a zip file"]
    assert job.created == 1


def test_zip_members_cannot_escape_the_upload_folder(archivist):
    """A zip naming a path outside itself is refused as a whole, and nothing is imported from it."""
    job = upload(client_for(archivist), zip_of("evil.zip", {"../../outside.txt": HARBOUR.encode()}))
    assert job.failures == ["evil.zip: '../../outside.txt' points outside the archive"]
    assert Article.objects.count() == 0


def test_upload_needs_the_import_permission(django_user_model):
    """Staff without the import permission cannot open the upload page."""
    user = django_user_model.objects.create_user("visitor", password="x", is_staff=True)
    response = client_for(user).get(reverse("admin:archive_importjob_add"))
    assert response.status_code == 403


def interrupted_job(archivist) -> ImportJob:
    """A job whose process died after storing its first file: still marked running, silent for five minutes."""
    job = import_job_create(
        files=[text_file("genoa-strike.txt", HARBOUR), text_file("sardinia-ferry.txt", FERRY)], user=archivist
    )
    articles_import(paths=[upload_folder(job) / "genoa-strike.txt"])
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - dt.timedelta(minutes=5))
    return ImportJob.objects.get(pk=job.pk)


def test_a_job_whose_process_died_shows_as_interrupted(archivist):
    """The page says the import stopped and offers to run it again; the list says Interrupted, not Running."""
    job = interrupted_job(archivist)
    client = client_for(archivist)
    page = client.get(reverse("admin:archive_importjob_change", args=[job.pk])).content.decode()
    assert "This import stopped without finishing" in page
    assert 'id="import-resume"' in page
    assert 'http-equiv="refresh"' not in page
    assert "Interrupted" in client.get(reverse("admin:archive_importjob_changelist")).content.decode()


def test_running_an_interrupted_job_again_finishes_it_without_duplicates(archivist):
    """The second run imports what is left; the article the first run stored stays one article."""
    job = interrupted_job(archivist)
    response = client_for(archivist).post(reverse("admin:archive_importjob_resume", args=[job.pk]))
    assert response.status_code == 302
    import_job_wait(job=job, timeout=60)
    job.refresh_from_db()
    assert (job.status, job.created, job.unchanged) == (ImportJobStatus.DONE, 1, 1)
    assert sorted(Article.objects.values_list("title", flat=True)) == [
        "Dock Workers End Week-Long Strike in Genoa",
        "Ferry Service to Sardinia Resumes After Storm",
    ]


def test_a_job_still_running_cannot_be_started_twice(archivist):
    """A job with a fresh heartbeat is not interrupted: running it again is refused with a message."""
    job = interrupted_job(archivist)
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now())
    response = client_for(archivist).post(reverse("admin:archive_importjob_resume", args=[job.pk]), follow=True)
    assert "is not interrupted, so it cannot be run again" in response.content.decode()
    assert Article.objects.count() == 1
