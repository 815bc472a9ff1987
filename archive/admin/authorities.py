"""Actors, places and tags: the authority records articles point to."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from simple_history.admin import SimpleHistoryAdmin
from taggit.models import Tag

from archive.csv_cells import FormulaSafeWriter
from archive.models import Actor, ActorName, AuthorityStatus, Place, PlaceName
from archive.services.authorities import (
    CSV_COLUMNS,
    authorities_csv_check,
    authorities_csv_import,
    authorities_merge,
    authority_csv_rows,
    authority_status_error,
    linked_article_ids,
    merge_plan,
)

# An authority list is small; a bigger upload is almost certainly the wrong file.
MAX_CSV_BYTES = 5 * 1024 * 1024


class AuthorityCsvForm(forms.Form):
    csv_file = forms.FileField(label="CSV file", required=False)
    # The checked text rides along to the confirmation, so what is written is exactly what was checked.
    text = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("csv_file")
        if upload is not None:
            if upload.size > MAX_CSV_BYTES:
                raise forms.ValidationError("The file is larger than 5 MB; is it an authority list?")
            try:
                cleaned["text"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError(
                    "The file is not UTF-8 text; save it as CSV UTF-8 and upload it again."
                ) from None
        if not cleaned.get("text"):
            raise forms.ValidationError("Choose a CSV file.")
        return cleaned


class MergeMixin:
    """Merge duplicates from the list, and show on delete pages how many articles lose a link."""

    actions = ["merge_records"]

    def has_merge_permission(self, request):
        """A merge changes the survivor and deletes the others: it needs both rights."""
        return self.has_change_permission(request) and self.has_delete_permission(request)

    @admin.action(description="Merge the selected records…", permissions=["merge"])
    def merge_records(self, request, queryset):
        records = list(queryset.order_by("pk"))
        if len(records) < 2:
            self.message_user(request, "Select at least two records to merge.", messages.ERROR)
            return None
        by_pk = {str(record.pk): record for record in records}
        survivor = by_pk.get(request.POST.get("survivor", ""))
        others = [record for record in records if record is not survivor]
        if survivor is not None and "confirm" in request.POST:
            plan = authorities_merge(survivor=survivor, merged=others, user=request.user)
            self.message_user(
                request,
                f"Merged {', '.join(map(str, plan.merged))} into {survivor}: "
                f"{plan.article_count} article{'s' if plan.article_count != 1 else ''} relinked.",
                messages.SUCCESS,
            )
            return None
        counts = {record.pk: len(linked_article_ids([record])) for record in records}
        context = {
            **self.admin_site.each_context(request),
            "title": f"Merge {self.opts.verbose_name_plural}",
            "opts": self.opts,
            "choices": [(record, counts.get(record.pk, 0)) for record in records],
            "plan": merge_plan(survivor=survivor, merged=others) if survivor is not None else None,
            "is_tag": queryset.model is Tag,
            "selected": list(by_pk),
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/archive/merge.html", context)

    def get_deleted_objects(self, objs, request):
        """Add the number of articles that lose their link to the delete confirmation's summary."""
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        records = list(objs)
        if records:
            linked = len(linked_article_ids(records))
            model_count = {"Articles that lose this link (the articles stay)": linked, **model_count}
        return deleted, model_count, perms_needed, protected


class ActorNameInline(admin.TabularInline):
    model = ActorName
    extra = 1


class PlaceNameInline(admin.TabularInline):
    model = PlaceName
    extra = 1


class AuthorityForm(forms.ModelForm):
    """Refuses a status change to published from a user who may not publish (set by ``get_form``)."""

    user = None

    def clean_status(self):
        status = self.cleaned_data["status"]
        old = type(self.instance).objects.filter(pk=self.instance.pk).values_list("status", flat=True).first()
        error = authority_status_error(user=self.user, old=old, new=status) if self.user else ""
        if error:
            raise forms.ValidationError(error)
        return status


class AuthorityAdmin(MergeMixin, SimpleHistoryAdmin):
    """Shared by actors and places: the list shows how many articles each record describes."""

    form = AuthorityForm
    list_per_page = 100
    actions = ["merge_records", "export_authority_csv"]
    change_list_template = "admin/archive/authority_change_list.html"
    object_history_template = "admin/archive/authority_history.html"

    def history_view(self, request, object_id, extra_context=None):
        """The record's own rows, and below them who added or removed which alternate name."""
        names = self.inlines[0].model.history.filter(**{f"{self.opts.model_name}_id": object_id})
        context = {"name_history": names.select_related("history_user").order_by("-history_date")[:200]}
        return super().history_view(request, object_id, extra_context={**context, **(extra_context or {})})

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_import_csv"
        return [
            path("import-csv/", self.admin_site.admin_view(self.import_csv_view), name=name),
            *super().get_urls(),
        ]

    @admin.action(description="Export as CSV", permissions=["view"])
    def export_authority_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{self.opts.model_name}s.csv"'
        writer = FormulaSafeWriter(response)
        records = queryset.order_by("name", "pk").prefetch_related("alternate_names")
        if self.model is Place:
            records = records.select_related("parent")
        writer.writerows(authority_csv_rows(records=records))
        return response

    def import_csv_view(self, request):
        """Upload, see every rejected row with its reason, then write the rows that passed."""
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        form = AuthorityCsvForm(request.POST or None, request.FILES or None)
        check = None
        if request.method == "POST" and form.is_valid():
            text = form.cleaned_data["text"]
            if "confirm" in request.POST:
                report = authorities_csv_import(model=self.model, text=text, user=request.user)
                level = messages.WARNING if report.rejected else messages.SUCCESS
                self.message_user(
                    request,
                    f"Created {report.created} and updated {report.updated} {self.opts.verbose_name_plural}; "
                    f"{len(report.rejected)} row{'s' if len(report.rejected) != 1 else ''} rejected.",
                    level,
                )
                return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
            check = authorities_csv_check(model=self.model, text=text, user=request.user)
            form = AuthorityCsvForm(initial={"text": text})
        context = {
            **self.admin_site.each_context(request),
            "title": f"Import {self.opts.verbose_name_plural} from CSV",
            "opts": self.opts,
            "form": form,
            "check": check,
            "columns": ", ".join(CSV_COLUMNS[self.model]),
        }
        return TemplateResponse(request, "admin/archive/authority_csv.html", context)

    ordering = ["name", "pk"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_article_counts()

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.user = request.user
        return form

    def get_changeform_initial_data(self, request):
        """A new record starts as a draft for whoever may not publish it."""
        initial = super().get_changeform_initial_data(request)
        if authority_status_error(user=request.user, old=None, new=AuthorityStatus.PUBLISHED):
            initial.setdefault("status", AuthorityStatus.DRAFT)
        return initial

    @admin.display(description="articles", ordering="article_count")
    def article_count(self, obj):
        return obj.article_count


@admin.register(Actor)
class ActorAdmin(AuthorityAdmin):
    list_display = ["name", "type", "status", "external_id", "article_count"]
    list_filter = ["type", "status"]
    search_fields = ["name", "alternate_names__name", "external_id"]
    inlines = [ActorNameInline]
    fields = ["name", "type", "status", "description", "external_id"]


@admin.register(Place)
class PlaceAdmin(AuthorityAdmin):
    list_display = ["name", "type", "parent", "country_code", "status", "article_count"]
    list_filter = ["type", "status", "country_code"]
    list_select_related = ["parent"]
    search_fields = ["name", "alternate_names__name", "country_code"]
    autocomplete_fields = ["parent"]
    inlines = [PlaceNameInline]
    fields = ["name", "type", "status", "parent", "country_code", ("latitude", "longitude"), "external_id"]


admin.site.unregister(Tag)


@admin.register(Tag)
class TagAdmin(MergeMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "article_count"]
    search_fields = ["name", "slug"]
    ordering = ["name", "pk"]
    prepopulated_fields = {"slug": ["name"]}
    list_per_page = 100

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(article_count=Count("taggit_taggeditem_items", distinct=True))

    @admin.display(description="articles", ordering="article_count")
    def article_count(self, obj):
        return obj.article_count
