"""Background jobs: uploads, spreadsheets, mode tables and recounts queued in the database and run by
the worker (``run_worker --once``, in this process: see ``tests/jobs.py``)."""

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from portal.jobs import worker_last_seen
from proteins.importing.report import ImportReport
from proteins.importing.run import PageImporter, import_pages
from proteins.models import ImportRun, Interaction, Job, Protein
from tests.accounts import signed_in, staff
from tests.jobs import run_queued_jobs

UPLOAD = "admin:proteins_importrun_upload"
JOBS = "admin:proteins_job_changelist"


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.IMPORT_UPLOAD_DIR = str(tmp_path / "uploads")
    return tmp_path / "uploads"


@pytest.fixture
def uploader(db):
    return staff("importer", permissions=["add_importrun"])


def queue_upload(client, fixture_pages, *names):
    files = [SimpleUploadedFile(name, (fixture_pages / name).read_bytes()) for name in names]
    preview = client.post(reverse(UPLOAD), {"files": files})
    return client.post(reverse(UPLOAD), {"token": preview.context["upload"].token, "confirm": "yes"})


def staged_folder(job):
    return Path(job.arguments["folder"])


def snapshot():
    interactions = Interaction.objects.order_by("tf__accession", "target__accession")
    return [
        (i.tf.accession, i.target.accession, i.version, sorted(i.source_databases.values_list("name", flat=True)))
        for i in interactions.select_related("tf", "target").prefetch_related("source_databases")
    ]


def test_an_upload_runs_as_a_job_that_reports_its_progress_and_counts(db, fixture_pages, uploader):
    client = signed_in(uploader)

    queued = queue_upload(client, fixture_pages, "Q07812.md", "tfs_of_Q07812.tsv", "P09022.md")

    job = Job.objects.get()
    assert queued.url == reverse("admin:proteins_job_change", args=[job.pk])
    assert (job.state, job.user, Protein.objects.count()) == (Job.State.QUEUED, uploader, 0)
    assert "Queued" in client.get(queued.url).content.decode()

    run_queued_jobs()

    job.refresh_from_db()
    run = ImportRun.objects.get()
    assert (job.state, job.done, job.total, job.import_run) == (Job.State.DONE, 2, 2, run)
    assert (run.user, run.pages_created, run.pages_failed) == (uploader, 2, 0)
    assert not staged_folder(job).exists()  # the files go once the import ran through
    listing = client.get(reverse(JOBS)).content.decode()
    assert "2 of 2" in listing
    assert "Done" in listing
    page = client.get(queued.url).content.decode()
    assert "Pages read: 2, created: 2" in page
    assert reverse("admin:proteins_importrun_change", args=[run.pk]) in page
    run_page = client.get(reverse("admin:proteins_importrun_change", args=[run.pk])).content.decode()
    assert f'{queued.url}">{job}</a> (Done, 2 of 2 pages)' in run_page


def test_a_failing_job_reports_its_error_writes_nothing_keeps_its_files_and_runs_again(
    db, fixture_pages, uploader, monkeypatch
):
    client = signed_in(uploader)
    queue_upload(client, fixture_pages, "P49335.md", "P09022.md")

    def disk_full(self, batch):
        raise OSError("No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(PageImporter, "apply", disk_full)
        run_queued_jobs()

    job = Job.objects.get()
    assert (job.state, job.error) == (Job.State.FAILED, "OSError: No space left on device")
    assert (Protein.objects.count(), Interaction.objects.count()) == (0, 0)
    assert staged_folder(job).exists()
    assert (
        "OSError: No space left on device"
        in client.get(reverse("admin:proteins_job_change", args=[job.pk])).content.decode()
    )

    client.post(reverse(JOBS), {"action": "run_again", "_selected_action": [job.pk]})
    run_queued_jobs()

    job.refresh_from_db()
    assert (job.state, job.error, job.attempts) == (Job.State.DONE, "", 2)
    assert set(Protein.objects.values_list("accession", flat=True)) >= {"P49335", "P09022"}
    assert not staged_folder(job).exists()


def test_a_job_killed_after_its_import_runs_again_to_the_same_data(db, fixture_pages, uploader, monkeypatch):
    client = signed_in(uploader)
    queue_upload(client, fixture_pages, "P49335.md", "Q07812.md", "tfs_of_Q07812.tsv")

    def killed(self):
        raise KeyboardInterrupt  # the worker stopped after the pages were written

    with monkeypatch.context() as patched:
        patched.setattr(ImportReport, "summary", killed)
        run_queued_jobs()  # the worker records the task as failed
    written = snapshot()
    job = Job.objects.get()
    assert job.state == Job.State.FAILED

    client.post(reverse(JOBS), {"action": "run_again", "_selected_action": [job.pk]})
    run_queued_jobs()

    assert snapshot() == written
    again = ImportRun.objects.latest("started_at")
    assert (again.pages_unchanged, again.pages_created, again.interactions_created) == (2, 0, 0)


def test_only_the_one_who_queued_a_job_or_may_start_its_kind_runs_it_again(db, fixture_pages, uploader, monkeypatch):
    queue_upload(signed_in(uploader), fixture_pages, "P09022.md")
    with monkeypatch.context() as patched:
        patched.setattr(PageImporter, "apply", lambda self, batch: 1 / 0)
        run_queued_jobs()
    job = Job.objects.get()
    other = signed_in(staff("other", permissions=["add_importrun"]))

    response = other.post(reverse(JOBS), {"action": "run_again", "_selected_action": [job.pk]}, follow=True)

    assert "Not yours to run again" in response.content.decode()
    job.refresh_from_db()
    assert (job.state, job.attempts) == (Job.State.FAILED, 1)


def test_the_job_list_is_for_staff_who_start_jobs_or_may_view_them(db, client, uploader):
    url = reverse(JOBS)
    visitor = User.objects.create_user("visitor", password="not-staff-1234")

    assert client.get(url).status_code == 302
    assert signed_in(visitor).get(url).status_code == 302
    assert signed_in(staff("helper")).get(url).status_code == 403
    assert signed_in(staff("curator_only", "curator")).get(url).status_code == 403
    assert signed_in(staff("watcher", permissions=["view_job"])).get(url).status_code == 200
    assert signed_in(uploader).get(url).status_code == 200


def test_the_job_list_makes_as_many_queries_for_many_jobs_as_for_few(db, uploader, django_assert_num_queries):
    client = signed_in(uploader)
    Job.objects.bulk_create([Job(kind=Job.Kind.RECOUNT, user=uploader) for _ in range(3)])
    client.get(reverse(JOBS))
    with django_assert_num_queries(7) as few:
        client.get(reverse(JOBS))
    Job.objects.bulk_create([Job(kind=Job.Kind.PAGES, user=uploader, total=5, done=2) for _ in range(60)])
    with django_assert_num_queries(len(few.captured_queries)):
        assert "2 of 5" in client.get(reverse(JOBS)).content.decode()


def test_staff_who_may_not_import_cannot_queue_an_upload(db, fixture_pages):
    helper = signed_in(staff("helper", permissions=["view_job"]))

    response = helper.post(reverse(UPLOAD), {"token": "0" * 32, "confirm": "yes"})

    assert response.status_code == 403
    assert not Job.objects.exists()


def sheet(rows):
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return SimpleUploadedFile("interactions.csv", out.getvalue().encode())


def test_a_spreadsheet_over_the_threshold_is_imported_by_a_job(admin_client, fixture_pages, settings, admin_user):
    import_pages([fixture_pages])
    settings.JOBS_SPREADSHEET_ROWS = 1
    header = ["tf_accession", "target_accession", "source_databases", "detection_methods", "pubmed_ids", "small_scale"]
    rows = [
        header,
        ["P49335", "Q07812", "NewDB", "inferred by curator", "12345", "Yes"],
        ["P49335", "P09022", "NewDB", "inferred by curator", "67890", "No"],
    ]
    data = {"format": "0", "resource": "0", "import_file": sheet(rows)}
    preview = admin_client.post(reverse("admin:proteins_interaction_import"), data)
    count = Interaction.objects.count()

    queued = admin_client.post(
        reverse("admin:proteins_interaction_process_import"), preview.context["confirm_form"].initial
    )

    job = Job.objects.get()
    assert (queued.url, job.kind, Interaction.objects.count()) == (
        reverse("admin:proteins_job_change", args=[job.pk]),
        Job.Kind.SPREADSHEET,
        count,
    )
    run_queued_jobs()
    job.refresh_from_db()
    assert (job.state, job.result, job.done) == (Job.State.DONE, "2 new", 2)
    assert Interaction.objects.count() == count + 2
    created = Interaction.objects.get(tf__accession="P49335", target__accession="Q07812")
    assert created.last_edited_by == admin_user


def test_a_spreadsheet_job_with_a_bad_row_imports_nothing_and_names_the_row(admin_client, fixture_pages, settings):
    import_pages([fixture_pages])
    settings.JOBS_SPREADSHEET_ROWS = 1
    header = ["tf_accession", "target_accession", "source_databases", "detection_methods", "pubmed_ids", "small_scale"]
    rows = [
        header,
        ["P49335", "Q07812", "NewDB", "inferred by curator", "12345", "Yes"],
        ["P49335", "P09022", "NewDB", "inferred by curator", "67890", "No"],
    ]
    preview = admin_client.post(
        reverse("admin:proteins_interaction_import"), {"format": "0", "resource": "0", "import_file": sheet(rows)}
    )
    Protein.objects.filter(accession="P09022").delete()  # between the preview and the job
    count = Interaction.objects.count()
    admin_client.post(reverse("admin:proteins_interaction_process_import"), preview.context["confirm_form"].initial)

    run_queued_jobs()

    job = Job.objects.get()
    assert job.state == Job.State.FAILED
    assert job.error.startswith("ValueError: nothing was imported: row 2")
    assert Interaction.objects.count() == count
    assert Path(job.arguments["file"]).exists()


def test_recount_in_the_background_is_run_by_the_worker_which_says_it_was_seen(db, fixture_pages):
    import_pages([fixture_pages])
    Protein.objects.update(tf_count=0, target_count=0)
    assert worker_last_seen() is None

    call_command("recount_interactions", "--background", stdout=io.StringIO())
    assert Job.objects.get().state == Job.State.QUEUED
    before = timezone.now()
    run_queued_jobs()

    job = Job.objects.get()
    assert job.state == Job.State.DONE
    assert job.result.startswith("Counted the interactions of")
    assert Protein.objects.filter(target_count__gt=0).exists()
    assert worker_last_seen() >= before


def test_the_worker_prunes_old_finished_task_results_and_keeps_the_jobs(db, fixture_pages, settings):
    call_command("recount_interactions", "--background", verbosity=0)
    run_queued_jobs()
    call_command("recount_interactions", "--background", verbosity=0)
    run_queued_jobs()
    old, recent = DBTaskResult.objects.order_by("enqueued_at")
    DBTaskResult.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timedelta(days=15))
    settings.TASK_RESULTS_KEEP_DAYS = 14

    run_queued_jobs()

    assert list(DBTaskResult.objects.values_list("pk", flat=True)) == [recent.pk]
    assert Job.objects.filter(kind=Job.Kind.RECOUNT, state=Job.State.DONE).count() == 2
