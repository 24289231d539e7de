"""Releases in the admin: the list with their state, dates and counts; notes and DOI editable, nothing
else; their files read-only; and "Publish a new release", which sets the next release aside and
queues its publication (``releases.tasks``) for those holding ``publishing.PERMISSION``.
"""

import re

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join

from proteins.admin.jobs import register_kind
from proteins.models import Job

from . import publishing, tasks
from .freezing import FIGURES
from .models import Release, ReleaseFile

register_kind(Job.Kind.RELEASE, tasks.publish_release, publishing.PERMISSION)

DOI_PATTERN = re.compile(r"10\.\d{4,9}/\S+")
DOI_RESOLVERS = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:")


class ReleaseForm(forms.ModelForm):
    class Meta:
        model = Release
        fields = ["notes", "doi"]

    def clean_doi(self):
        doi = self.cleaned_data["doi"].strip()
        for resolver in DOI_RESOLVERS:
            doi = doi.removeprefix(resolver)
        if doi and not DOI_PATTERN.fullmatch(doi):
            raise forms.ValidationError("Give the DOI itself, like 10.5281/zenodo.1234567.")
        return doi


class PublishForm(forms.Form):
    notes = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "cols": 80}),
        help_text="Release notes, in markdown (raw HTML is not rendered); they stay editable afterwards.",
    )


class ReleaseFileInline(admin.TabularInline):
    model = ReleaseFile
    fields = ["name", "organism", "format", "size", "rows", "sha256"]
    readonly_fields = fields
    can_delete = False
    extra = 0
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    form = ReleaseForm
    change_list_template = "admin/releases/release/change_list.html"
    publish_template = "admin/releases/release/publish.html"
    list_display = ["__str__", "state", "published_at", "interactions", "added", "withdrawn", "changed", "doi"]
    list_filter = ["state"]
    list_select_related = ["created_by"]
    fields = [
        ("number", "state"),
        ("created_by", "created_at", "published_at"),
        "previous",
        "notes",
        "doi",
        "counts",
        "changes",
        "error",
    ]
    readonly_fields = [
        "number",
        "state",
        "created_by",
        "created_at",
        "published_at",
        "previous",
        "counts",
        "changes",
        "error",
    ]
    inlines = [ReleaseFileInline]
    actions = None  # a release is deleted one at a time, and only when it is not published

    def has_add_permission(self, request):
        return False  # releases are made by publishing one

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and obj is not None and not obj.is_published

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or self.has_publish_permission(request)

    def has_publish_permission(self, request):
        return request.user.is_active and request.user.is_staff and request.user.has_perm(publishing.PERMISSION)

    def get_deleted_objects(self, objs, request):
        # The frozen rows go with the release: counted, not listed (a release holds millions).
        deleted = [str(release) for release in objs]
        perms_needed = set() if all(self.has_delete_permission(request, release) for release in objs) else {"release"}
        return deleted, {"releases": len(deleted)}, perms_needed, []

    def delete_model(self, request, obj):
        publishing.discard(obj)

    @admin.display(description="interactions")
    def interactions(self, release):
        return release.figures.get("interactions", "-")

    @admin.display(description="added")
    def added(self, release):
        return release.difference.get("added", "-")

    @admin.display(description="withdrawn")
    def withdrawn(self, release):
        return release.difference.get("withdrawn", "-")

    @admin.display(description="changed")
    def changed(self, release):
        return release.difference.get("changed", "-")

    @admin.display(description="figures")
    def counts(self, release):
        figures = release.figures
        if not figures:
            return "-"
        lines = [("interactions", figures["interactions"]), ("binding sites", figures["binding_sites"])]
        for name in FIGURES:
            lines += [(f"{name.replace('_', ' ')}: {value}", count) for value, count in figures[name].items()]
        return format_html_join("", "<div>{}: {}</div>", lines)

    @admin.display(description="difference from the previous release")
    def changes(self, release):
        if not release.difference:
            return "-"
        return format_html_join("", "<div>{}: {}</div>", release.difference.items())

    # "Publish a new release".

    def get_urls(self):
        view = self.admin_site.admin_view(self.publish_view)
        return [path("publish/", view, name="releases_release_publish"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_publish": self.has_publish_permission(request)}
        return super().changelist_view(request, extra_context)

    def publish_view(self, request):
        """GET: the notes' form; POST: set the next release aside and queue its publication."""
        if not self.has_publish_permission(request):
            raise PermissionDenied
        form = PublishForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                release = publishing.start(request.user, form.cleaned_data["notes"])
            except publishing.PublishingRefused as refusal:
                self.message_user(request, str(refusal), messages.ERROR)
                return HttpResponseRedirect(reverse("admin:releases_release_changelist"))
            job = tasks.queue_publication(release, request.build_absolute_uri("/"), user=request.user)
            self.message_user(
                request, f"{job} is queued: the worker publishes {release}; this page shows its progress."
            )
            return HttpResponseRedirect(reverse("admin:proteins_job_change", args=[job.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Publish a new release",
            "form": form,
            "next_number": publishing.next_number(),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.publish_template, context)
