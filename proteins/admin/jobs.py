"""Background jobs in the admin: state, progress, result and error, read-only; a failed job can be
queued again by whoever may start a job of its kind."""

from django.contrib import admin, messages

from curation.tasks import import_staged_mode_table
from portal.admin_tools import admin_link

from .. import jobs, tasks
from ..models import Job
from .imports import UPLOAD_PERMISSION, ReadOnlyAdminMixin
from .mode_tables import UPLOAD_PERMISSION as MODE_TABLE_PERMISSION

# Each kind's task, and the permission that starts a job of that kind (or runs it again); apps that
# proteins does not import add theirs with ``register_kind`` (releases: ``releases/admin.py``).
KINDS = {
    Job.Kind.PAGES: (tasks.import_uploaded_pages, UPLOAD_PERMISSION),
    Job.Kind.MODE_TABLE: (import_staged_mode_table, MODE_TABLE_PERMISSION),
    Job.Kind.SPREADSHEET: (tasks.import_spreadsheet, "proteins.change_interaction"),
    Job.Kind.RECOUNT: (tasks.recount_interactions, "proteins.change_protein"),
}


def register_kind(kind: Job.Kind, task, permission: str) -> None:
    """Say which task runs a job of ``kind`` again, and who may start one (and read the jobs)."""
    KINDS[kind] = (task, permission)


@admin.register(Job)
class JobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every job, newest first: staff who may start jobs, or view them, read them here."""

    list_display = ["__str__", "state", "progress", "description", "user", "created_at", "finished_at", "attempts"]
    list_filter = ["state", "kind"]
    list_select_related = ["user"]
    show_full_result_count = False
    fields = [
        ("kind", "state"),
        "description",
        "user",
        ("created_at", "started_at", "finished_at", "attempts"),
        "progress",
        "result",
        "error",
        "runs",
    ]
    readonly_fields = [name for line in fields for name in (line if isinstance(line, tuple) else [line])]
    actions = ["run_again"]

    def has_view_permission(self, request, obj=None):
        if not request.user.is_staff:
            return False
        starts_jobs = any(request.user.has_perm(permission) for _task, permission in KINDS.values())
        return starts_jobs or super().has_view_permission(request, obj)

    @admin.display(description="progress")
    def progress(self, job):
        if job.total:
            return f"{job.done} of {job.total}"
        return "-" if job.state == Job.State.QUEUED else str(job.done or "-")

    @admin.display(description="import run")
    def runs(self, job):
        run = job.import_run or job.mode_table_run
        return admin_link(run) if run else "-"

    @admin.action(description="Run the selected failed jobs again")
    def run_again(self, request, queryset):
        queued, refused = [], []
        for job in queryset.filter(state=Job.State.FAILED):
            task, permission = KINDS[job.kind]
            if not request.user.has_perm(permission) or (job.user_id and job.user_id != request.user.pk):
                refused.append(str(job))
                continue
            jobs.run_again(job, task)
            queued.append(str(job))
        if queued:
            self.message_user(request, f"Queued again: {', '.join(queued)}.")
        if refused:
            self.message_user(request, f"Not yours to run again: {', '.join(refused)}.", messages.ERROR)
