"""Importing from the admin: an upload form, then a result page that follows the background import."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.views.decorators.http import require_POST

from archive.models import ImportJob, ImportJobStatus
from archive.services.uploads import import_job_create, import_job_resume, import_job_start

IMPORT_PERMISSION = "archive.import_articles"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input, as Django's documentation shows."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)]


class UploadForm(forms.Form):
    upload = MultipleFileField(
        label="Files",
        help_text="Plain-text articles (.txt), Reuters SGML (.sgm), JSON lines (.jsonl), CSV (.csv), or zips of them.",
    )


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "uploaded_by",
        "started_at",
        "state",
        "total",
        "created",
        "updated",
        "unchanged",
        "failed",
    ]
    list_filter = ["status"]
    list_select_related = ["uploaded_by"]

    @admin.display(description="status", ordering="status")
    def state(self, job: ImportJob) -> str:
        return job.state

    def get_urls(self):
        resume = self.admin_site.admin_view(require_POST(self.resume_view))
        return [path("<int:object_id>/resume/", resume, name="archive_importjob_resume"), *super().get_urls()]

    def resume_view(self, request, object_id):
        if not self.has_add_permission(request):
            raise PermissionDenied
        job = get_object_or_404(ImportJob, pk=object_id)
        try:
            import_job_resume(job=job)
        except ValueError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"{job} is running again; what it stored the first time is kept.")
        return redirect("admin:archive_importjob_change", job.pk)

    def has_add_permission(self, request):
        return request.user.has_perm(IMPORT_PERMISSION)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(IMPORT_PERMISSION) or super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            job = import_job_create(files=form.cleaned_data["upload"], user=request.user)
            import_job_start(job=job)
            return redirect("admin:archive_importjob_change", job.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": "Import articles",
            "opts": self.opts,
            "form": form,
        }
        return TemplateResponse(request, "admin/archive/importjob/upload.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = get_object_or_404(ImportJob, pk=object_id)
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": str(job),
            "opts": self.opts,
            "job": job,
            "running": job.status == ImportJobStatus.RUNNING and not job.stalled,
            "can_resume": job.stalled and self.has_add_permission(request),
            "files": job.file_names.splitlines(),
        }
        return TemplateResponse(request, "admin/archive/importjob/result.html", context)
