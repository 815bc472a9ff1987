"""Imports started from the admin: uploads (files or zips) stored under the data directory, imported in the background.

The request only stores the files and records an ``ImportJob``; a thread
runs the same importer as ``import_articles`` and saves its counts and a
heartbeat to the job every second, so a big upload never times out the
request and the result page can show progress. A job whose heartbeat stops
(the server restarted, the process was killed) shows as interrupted and
can be run again from its page: the importer is idempotent, so the second
run finishes the work without duplicates.
"""

import logging
import shutil
import threading
import zipfile
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from archive.models import ImportJob, ImportJobStatus
from archive.services.imports import ImportReport, articles_import

logger = logging.getLogger(__name__)

# A zip may not unpack to more than this, so an upload cannot fill the disk.
MAX_UNPACKED_BYTES = 512 * 1024 * 1024
PROGRESS_SECONDS = 1.0
_threads: dict[int, threading.Thread] = {}


def upload_folder(job: ImportJob) -> Path:
    return Path(settings.ARCHIVE_DATA_DIR) / "uploads" / str(job.pk)


def import_job_create(*, files: list[UploadedFile], user: AbstractBaseUser) -> ImportJob:
    """Store the uploads (unpacking zips) in a fresh folder and record the job; a bad zip becomes a failure line."""
    job = ImportJob.objects.create(uploaded_by=user, file_names="")
    folder = upload_folder(job)
    folder.mkdir(parents=True, exist_ok=True)
    names, failures = [], []
    for upload in files:
        name = Path(upload.name).name
        if name.lower().endswith(".zip"):
            try:
                names += _unzip(upload, folder, prefix=Path(name).stem)
            except (zipfile.BadZipFile, ValueError) as exc:
                failures.append(f"{name}: {exc}")
        else:
            target = _free_path(folder / name)
            with target.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            names.append(str(target.relative_to(folder)))
    job.file_names = "\n".join(names)
    job.total = len(names)
    job.failures = failures
    job.failed = len(failures)
    job.save(update_fields=["file_names", "total", "failures", "failed"])
    return job


def _free_path(path: Path) -> Path:
    """``path``, or ``name-2.ext`` and so on when two uploads share a name."""
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate


def _unzip(upload: UploadedFile, folder: Path, *, prefix: str) -> list[str]:
    with zipfile.ZipFile(upload) as archive:
        members = []
        for member in archive.infolist():
            inner = PurePosixPath(member.filename)
            if inner.is_absolute() or ".." in inner.parts:
                raise ValueError(f"{member.filename!r} points outside the archive")
            if not member.is_dir() and not any(part.startswith((".", "__MACOSX")) for part in inner.parts):
                members.append(member)
        if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
            raise ValueError(
                f"unpacks to more than {MAX_UNPACKED_BYTES // (1024 * 1024)} MB; split it into smaller zips"
            )
        names = []
        for member in sorted(members, key=lambda m: m.filename):
            target = _free_path(folder / prefix / Path(*PurePosixPath(member.filename).parts))
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as source, target.open("wb") as out:
                shutil.copyfileobj(source, out)
            names.append(str(target.relative_to(folder)))
    if not names:
        raise ValueError("the zip holds no files")
    return names


def import_job_run(*, job: ImportJob) -> ImportJob:
    """Import the job's files, saving the counts as it goes and the result at the end."""
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now())
    folder = upload_folder(job)
    report = ImportReport(failures=list(job.failures))
    paths = [folder / name for name in job.file_names.splitlines() if name]
    stop = threading.Event()
    monitor = threading.Thread(target=_save_progress, args=(job.pk, report, folder, stop), daemon=True)
    monitor.start()
    try:
        if paths:
            articles_import(paths=paths, report=report)
        job.status = ImportJobStatus.DONE
    except Exception as exc:  # the job must say it stopped; the log keeps the traceback
        logger.exception("Admin import %s stopped", job.pk)
        job.status, job.error = ImportJobStatus.FAILED, f"The import stopped: {exc}"
    finally:
        stop.set()
        monitor.join()
    _copy_counts(job, report, folder)
    job.finished_at = timezone.now()
    job.save()
    return job


def _copy_counts(job: ImportJob, report: ImportReport, folder: Path) -> None:
    job.created, job.updated, job.unchanged = report.created, report.updated, report.unchanged
    # The importer names files by their full path; the archivist knows them by the uploaded name.
    job.failures = [line.replace(f"{folder}/", "") for line in report.failures]
    job.failed = len(job.failures)


def _save_progress(job_id: int, report: ImportReport, folder: Path, stop: threading.Event) -> None:
    try:
        while not stop.wait(PROGRESS_SECONDS):
            job = ImportJob(pk=job_id)
            _copy_counts(job, report, folder)
            ImportJob.objects.filter(pk=job_id, status=ImportJobStatus.RUNNING).update(
                created=job.created,
                updated=job.updated,
                unchanged=job.unchanged,
                failed=job.failed,
                heartbeat_at=timezone.now(),
            )
    finally:
        connection.close()


def import_job_start(*, job: ImportJob) -> None:
    """Run the job in a background thread once the job row is committed."""

    def run():
        close_old_connections()
        try:
            import_job_run(job=ImportJob.objects.get(pk=job.pk))
        finally:
            connection.close()

    thread = threading.Thread(target=run, name=f"admin-import-{job.pk}", daemon=True)
    _threads[job.pk] = thread
    transaction.on_commit(thread.start)


def import_job_resume(*, job: ImportJob) -> None:
    """Run an interrupted job again in the background; what the first run stored is kept, not repeated."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if not job.stalled:
            raise ValueError(f"{job} is not interrupted, so it cannot be run again.")
        job.heartbeat_at, job.error = timezone.now(), ""
        job.save(update_fields=["heartbeat_at", "error"])
        import_job_start(job=job)


def import_job_wait(*, job: ImportJob, timeout: float | None = None) -> None:
    """Block until a job started in this process has finished (for tests and management commands)."""
    thread = _threads.get(job.pk)
    if thread is not None:
        thread.join(timeout)
