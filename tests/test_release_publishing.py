"""Publishing releases: by the command and from the admin, as a job; the files each organism gets,
read back by the programs people load them into; the manifest's checksums; a failed publication
that leaves nothing visible and runs again; a published release that nothing writes again."""

import gzip
import hashlib
import json
import threading

import decoupler
import gseapy
import pandas
import pytest
from django.core.files.storage import FileSystemStorage
from django.core.management import CommandError, call_command
from django.urls import reverse

from curation import workflow
from proteins.exports import TFLINK_COLUMNS
from proteins.models import Interaction, Job, Organism
from proteins.parser import BINDING_SITE_DOWNLOAD_COLUMNS
from releases import files, publishing, selectors
from releases.models import Release, ReleaseFile
from tests.accounts import signed_in, staff
from tests.jobs import run_queued_jobs
from tests.real_clients import mitab_problems, network_problems, read_network
from tests.test_gmt_readers import expected_sets

pytestmark = pytest.mark.django_db

URL = "https://portal.example.org"
RELEASES = "admin:releases_release_changelist"
PUBLISH = "admin:releases_release_publish"
TSV_COLUMNS = [*TFLINK_COLUMNS, "Mode", "Confidence", "Status"]
GMT_KEYS = ("uniprot", "gene_id", "name")


@pytest.fixture
def editor(db):
    return staff("eddie", "editor")


def published(notes=""):
    return publishing.publish(publishing.start(None, notes), base_url=URL)


def stored_bytes(file):
    with publishing.storage().open(file.storage_name, "rb") as handle:
        return handle.read()


def manifest_of(release):
    return json.loads(stored_bytes(release.files.get(format="manifest")))


def unpacked(file, folder):
    """A release file gunzipped into ``folder``: the readers take a path."""
    path = folder / file.name.removesuffix(".gz")
    path.write_bytes(gzip.decompress(stored_bytes(file)))
    return path


def public_counts():
    counts = {}
    for name in Interaction.objects.public().values_list("organism__name", flat=True):
        counts[name] = counts.get(name, 0) + 1
    return counts


# Publishing by the command.


def test_the_command_publishes_each_organisms_files_and_a_manifest_whose_checksums_match(
    sample_data, release_storage, tmp_path
):
    notes = tmp_path / "notes.md"
    notes.write_text("First release: **all** of TFLink's sample pages.", encoding="utf-8")

    call_command("publish_release", "--wait", "--url", URL, "--notes", str(notes), verbosity=0)

    release = Release.objects.get()
    assert (release.number, release.state, release.notes) == (1, "published", notes.read_text())
    assert selectors.latest() == release
    organisms = public_counts()
    assert release.figures["organism"] == organisms
    expected_names = {
        f"{name.replace(' ', '_')}_{suffix}"
        for name in organisms
        for suffix in (
            "interactions.tsv.gz",
            "interactions.mitab.txt.gz",
            *(f"targets_by_{key}.gmt.gz" for key in GMT_KEYS),
            *(f"network_by_{key}.decoupler.tsv.gz" for key in ("name", "uniprot")),
        )
    }
    site_organisms = set(release.binding_sites.values_list("organism__name", flat=True))
    assert site_organisms
    expected_names |= {f"{name.replace(' ', '_')}_binding_sites.tsv.gz" for name in site_organisms}
    assert set(release.files.values_list("name", flat=True)) == expected_names | {"manifest.json"}

    manifest = manifest_of(release)
    assert {entry["name"] for entry in manifest["files"]} == expected_names
    for entry in manifest["files"]:
        file = release.files.get(name=entry["name"])
        data = stored_bytes(file)
        assert file.storage_name == f"1/{entry['name']}"
        assert (entry["size"], entry["sha256"], entry["rows"]) == (
            len(data),
            hashlib.sha256(data).hexdigest(),
            file.rows,
        )
        assert (file.size, file.sha256) == (entry["size"], entry["sha256"])
        assert entry["url"] == f"{URL}/releases/1/files/{entry['name']}"
    manifest_file = release.files.get(format="manifest")
    assert manifest_file.sha256 == hashlib.sha256(stored_bytes(manifest_file)).hexdigest()
    assert (release_storage / "1" / "manifest.json").exists()


def test_the_manifest_names_the_release_its_date_citation_and_figures(sample_data, release_storage, settings):
    settings.PORTAL_NAME = "Worm regulons"

    release = published()

    manifest = manifest_of(release)
    date = release.published_at.date().isoformat()
    assert manifest["release"] == 1
    assert manifest["date"] == date
    assert manifest["published_at"].startswith(date)
    assert manifest["url"] == f"{URL}/releases/1/"
    assert manifest["citation"] == f"Worm regulons, release 1 ({date}). {URL}/releases/1/"
    assert manifest["doi"] is None
    assert manifest["figures"] == release.figures
    assert manifest["figures"]["interactions"] == Interaction.objects.public().count()
    assert manifest["previous_release"] is None
    release.doi = "10.5281/zenodo.42"
    assert publishing.citation(release, URL + "/").endswith(f"{URL}/releases/1/ https://doi.org/10.5281/zenodo.42")


def test_the_command_queues_a_job_that_the_worker_runs_reporting_its_progress(sample_data, release_storage):
    call_command("publish_release", "--url", URL, verbosity=0)

    job = Job.objects.get()
    release = Release.objects.get()
    assert (job.kind, job.state, release.state) == (Job.Kind.RELEASE, Job.State.QUEUED, Release.State.BUILDING)
    assert selectors.published().count() == 0

    run_queued_jobs()

    job.refresh_from_db()
    release.refresh_from_db()
    rows = Interaction.objects.public().count()
    assert (job.state, release.state) == (Job.State.DONE, Release.State.PUBLISHED)
    assert job.done == job.total == 2 * rows  # rows frozen, then rows written
    assert job.result.startswith(f"Release 1 is published: {rows} interactions")


def test_progress_counts_the_rows_frozen_then_the_rows_written(sample_data, release_storage, monkeypatch):
    monkeypatch.setattr(publishing, "CHUNK_ROWS", 100)  # a few chunks of the sample's rows
    reports = []

    release = publishing.publish(
        publishing.start(None), lambda done, total: reports.append((done, total)), base_url=URL
    )

    rows = release.figures["interactions"]
    assert len(reports) > 4
    assert reports[-1] == (2 * rows, 2 * rows)
    assert [done for done, _total in reports] == sorted(done for done, _total in reports)
    assert all(total == 2 * rows for _done, total in reports)
    assert any(done <= rows for done, _total in reports) and any(rows < done < 2 * rows for done, _total in reports)


def test_the_command_asks_for_the_sites_address_and_refuses_a_second_release_while_one_is_built(
    sample_data, release_storage, settings
):
    settings.PORTAL_URL = ""
    with pytest.raises(CommandError, match="--url"):
        call_command("publish_release", "--wait", verbosity=0)
    with pytest.raises(CommandError, match="not an http"):
        call_command("publish_release", "--wait", "--url", "portal.example.org", verbosity=0)
    assert not Release.objects.exists()

    call_command("publish_release", "--url", URL, verbosity=0)  # queued: release 1 is being built

    with pytest.raises(CommandError, match="Release 1 is being built"):
        call_command("publish_release", "--wait", "--url", URL, verbosity=0)
    with pytest.raises(publishing.PublishingRefused):
        publishing.start(None)
    assert Release.objects.count() == 1


def test_the_demos_setup_publishes_a_first_release_once(sample_data, release_storage):
    call_command("publish_release", "--wait", "--if-none", "--url", URL, verbosity=0)
    call_command("publish_release", "--wait", "--if-none", "--url", URL, verbosity=0)

    assert list(Release.objects.values_list("number", "state")) == [(1, "published")]


# The files, read back.


def test_pandas_reads_each_organisms_tsv_with_the_documented_columns_and_its_rows(
    sample_data, reviewer, release_storage
):
    flagged, approved = Interaction.objects.filter(organism__taxon_id=6239).order_by("pk")[:2]
    workflow.flag(flagged, reviewer, "Doubtful ChIP peak.")
    workflow.approve(approved, reviewer)

    release = published()

    for name, count in public_counts().items():
        file = release.files.get(format="tsv", organism__name=name)
        table = pandas.read_csv(publishing.storage().path(file.storage_name), sep="\t", compression="gzip")
        assert list(table.columns) == TSV_COLUMNS
        assert len(table) == file.rows == count
        assert set(table["Organism"]) == {name}
        assert set(table["Status"]) <= {"unreviewed", "flagged", "approved"}
    worm = pandas.read_csv(
        publishing.storage().path(release.files.get(format="tsv", organism__taxon_id=6239).storage_name),
        sep="\t",
    ).set_index(["UniprotID.TF", "UniprotID.Target"])
    for interaction, status in ((flagged, "flagged"), (approved, "approved")):
        row = worm.loc[(interaction.tf.accession, interaction.target.accession)]
        interaction.refresh_from_db()
        assert (row["Status"], row["Mode"], row["Confidence"]) == (status, interaction.mode, interaction.confidence)


def test_every_mitab_file_passes_the_strict_validator_with_each_interaction(sample_data, release_storage):
    release = published()

    for name, count in public_counts().items():
        file = release.files.get(format="mitab", organism__name=name)
        text = gzip.decompress(stored_bytes(file)).decode()
        assert mitab_problems(text) == []
        lines = text.splitlines()[1:]
        assert len(lines) == file.rows == count
        taxon = Organism.objects.get(name=name).taxon_id
        assert all(line.split("\t")[9].startswith(f"taxid:{taxon}(") for line in lines)


def test_each_release_network_holds_the_live_network_of_its_moment_and_decoupler_reads_it(
    sample_data, release_storage, client
):
    release = published()

    files = release.files.filter(format="decoupler").select_related("organism")
    assert files.count() == 2 * len(public_counts())  # by name and by UniProt
    for file in files:
        data = gzip.decompress(stored_bytes(file))
        key = "uniprot" if "_by_uniprot" in file.name else "name"
        live = client.get(f"/downloads/{file.organism.taxon_id}/interactions.decoupler?by={key}")
        live_lines = b"".join(live.streaming_content).splitlines()
        lines = data.splitlines()
        assert (lines[0], sorted(lines)) == (live_lines[0], sorted(live_lines)), (
            file.name
        )  # TFs may come in another order
        network = read_network(data)
        assert network_problems(network) == []
        assert len(decoupler.pp.prune(None, network, tmin=1)) == len(network) == file.rows


@pytest.mark.parametrize("key", GMT_KEYS)
def test_gseapy_and_decoupler_read_each_gmt_file_with_every_tfs_targets(sample_data, release_storage, tmp_path, key):
    release = published()

    for organism in Organism.objects.filter(name__in=public_counts()):
        expected = expected_sets(key, organism=organism)
        file = release.files.get(format="gmt", organism=organism, name__contains=f"_by_{key}.")
        path = unpacked(file, tmp_path)

        by_gseapy = gseapy.read_gmt(str(path))
        by_decoupler = {}
        for name, target in decoupler.pp.read_gmt(str(path)).itertuples(index=False):
            by_decoupler.setdefault(name, []).append(target)

        assert {name: sorted(members) for name, members in by_gseapy.items()} == expected
        assert {name: sorted(members) for name, members in by_decoupler.items()} == expected
        assert file.rows == len(expected)


def test_each_organisms_binding_sites_are_a_tsv_of_tflinks_columns(sample_data, release_storage, tmp_path):
    release = published()

    sites = release.files.filter(format="binding_sites")
    assert sites.exists()
    for file in sites:
        table = pandas.read_csv(unpacked(file, tmp_path), sep="\t", dtype=str, keep_default_na=False)
        assert tuple(table.columns) == BINDING_SITE_DOWNLOAD_COLUMNS
        assert len(table) == file.rows == release.binding_sites.filter(organism=file.organism).count()
        assert set(table["Organism"]) == {file.organism.name}


# A published release stays as it was.


def test_later_curation_changes_no_file_of_a_published_release(sample_data, reviewer, release_storage):
    first = published()
    checksums = {file.name: hashlib.sha256(stored_bytes(file)).hexdigest() for file in first.files.all()}
    withdrawn = Interaction.objects.public().filter(organism__taxon_id=6239).order_by("pk").first()
    workflow.reject(withdrawn, reviewer, "The cited paper shows the reverse.")
    Interaction.objects.filter(organism__taxon_id=6239).update(mode="repression")

    second = published()

    assert {file.name: hashlib.sha256(stored_bytes(file)).hexdigest() for file in first.files.all()} == checksums
    assert {entry["name"]: entry["sha256"] for entry in manifest_of(first)["files"]} == {
        name: digest for name, digest in checksums.items() if name != "manifest.json"
    }
    manifest = manifest_of(second)
    assert manifest["previous_release"] == 1
    assert manifest["difference"] == second.difference
    assert second.difference["withdrawn"] == 1
    worm = gzip.decompress(stored_bytes(second.files.get(format="tsv", organism__taxon_id=6239))).decode()
    assert f"{withdrawn.tf.accession}\t{withdrawn.target.accession}\t" not in worm
    assert checksums != {file.name: file.sha256 for file in second.files.all()}


def test_a_published_release_is_never_written_again(sample_data, release_storage):
    release = published()
    before = {file.name: stored_bytes(file) for file in release.files.all()}

    with pytest.raises(publishing.PublishingRefused, match="never written again"):
        publishing.publish(release, base_url=URL)
    with pytest.raises(publishing.PublishingRefused):
        publishing.discard(release)

    release.refresh_from_db()
    assert release.state == Release.State.PUBLISHED and release.error == ""
    assert {file.name: stored_bytes(file) for file in release.files.all()} == before


# A failed publication.


class FailingStorage(FileSystemStorage):
    """A storage that refuses the release's MITAB files, as a full disk or a broken object store would."""

    def _save(self, name, content):
        if "mitab" in name:
            raise OSError(28, "No space left on device")
        return super()._save(name, content)


def use_storage(settings, backend, folder):
    settings.STORAGES = {**settings.STORAGES, "releases": {"BACKEND": backend, "OPTIONS": {"location": folder}}}


def test_a_failed_publication_shows_nothing_and_runs_again_into_a_whole_release(sample_data, release_storage, settings):
    use_storage(settings, f"{__name__}.FailingStorage", release_storage)
    release = publishing.start(None, "Notes kept.")

    with pytest.raises(OSError, match="No space left"):
        publishing.publish(release, base_url=URL)

    release.refresh_from_db()
    assert release.state == Release.State.FAILED
    assert "No space left on device" in release.error
    assert selectors.published().count() == 0 and selectors.latest() is None
    assert not release.files.exists()
    assert not any(path.is_file() for path in release_storage.rglob("*"))  # what it wrote is gone

    settings.STORAGES = {
        **settings.STORAGES,
        "releases": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": release_storage},
        },
    }
    again = publishing.start(None)  # takes the failed release up again: no gap in the numbers
    assert (again.pk, again.number, again.notes) == (release.pk, 1, "Notes kept.")
    publishing.publish(again, base_url=URL)

    again.refresh_from_db()
    assert (again.state, again.error) == (Release.State.PUBLISHED, "")
    stored = sorted(path.name for path in (release_storage / "1").iterdir())
    assert stored == sorted(again.files.values_list("name", flat=True))
    assert all("_1" not in name.removesuffix(".gz") for name in stored)  # no second copy under another name


def test_a_failed_job_runs_again_from_the_job_list(sample_data, release_storage, settings, editor):
    use_storage(settings, f"{__name__}.FailingStorage", release_storage)
    client = signed_in(editor)
    client.post(reverse(PUBLISH), {"notes": ""})
    run_queued_jobs()
    job = Job.objects.get()
    assert job.state == Job.State.FAILED and "No space left" in job.error
    assert Release.objects.get().state == Release.State.FAILED

    settings.STORAGES = {
        **settings.STORAGES,
        "releases": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": release_storage},
        },
    }
    client.post(reverse("admin:proteins_job_changelist"), {"action": "run_again", "_selected_action": [job.pk]})
    run_queued_jobs()

    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.attempts == 2
    assert Release.objects.get().state == Release.State.PUBLISHED


def test_a_writer_that_fails_stops_the_others_and_its_error_is_raised(tmp_path):
    def failing(records):
        for number, _record in enumerate(records):
            if number == 1500:
                raise ValueError("a value no format can hold")
            yield "row\n"

    outputs = [
        files.Output(files.CompressedFile("good.tsv.gz", 0), lambda records: (f"{record}\n" for record in records)),
        files.Output(files.CompressedFile("bad.tsv.gz", 0), failing),
    ]
    chunks = ([number] * 100 for number in range(10_000))  # far more than the queues hold

    with pytest.raises(ValueError, match="no format can hold"):
        files.write_together(chunks, outputs)

    assert not [thread for thread in threading.enumerate() if thread.name.startswith("release-file")]


# The admin.


def test_an_editor_publishes_a_release_from_the_admin_and_the_job_list_shows_it(sample_data, release_storage, editor):
    client = signed_in(editor)

    listing = client.get(reverse(RELEASES)).content.decode()
    assert "Publish a new release" in listing
    form = client.get(reverse(PUBLISH))
    assert form.status_code == 200 and "Publish release 1" in form.content.decode()
    queued = client.post(reverse(PUBLISH), {"notes": "Curated modes for *C. elegans*."})

    job = Job.objects.get()
    assert queued.url == reverse("admin:proteins_job_change", args=[job.pk])
    assert (job.kind, job.user) == (Job.Kind.RELEASE, editor)
    run_queued_jobs()

    release = Release.objects.get()
    assert (release.state, release.created_by, release.notes) == (
        "published",
        editor,
        "Curated modes for *C. elegans*.",
    )
    assert manifest_of(release)["url"] == "http://testserver/releases/1/"
    jobs = client.get(reverse("admin:proteins_job_changelist")).content.decode()
    assert "Publication of a release" in jobs and "Done" in jobs
    page = client.get(reverse("admin:releases_release_change", args=[release.pk])).content.decode()
    assert "Homo_sapiens_interactions.tsv.gz" in page or "Mus_musculus_interactions.tsv.gz" in page
    assert release.files.get(format="manifest").sha256 in page


def test_a_curator_without_the_permission_cannot_publish(sample_data, curator, release_storage):
    client = signed_in(curator)

    assert client.get(reverse(PUBLISH)).status_code == 403
    assert client.post(reverse(PUBLISH), {"notes": "mine"}).status_code == 403
    assert client.get(reverse(RELEASES)).status_code == 403
    assert not Release.objects.exists() and not Job.objects.exists()


def test_publishing_from_the_admin_needs_the_forms_csrf_token(sample_data, release_storage, editor):
    client = signed_in(editor, enforce_csrf_checks=True)

    refused = client.post(reverse(PUBLISH), {"notes": ""})

    assert refused.status_code == 403
    assert not Release.objects.exists()
    form = client.get(reverse(PUBLISH))
    token = form.context["csrf_token"]
    assert client.post(reverse(PUBLISH), {"notes": "", "csrfmiddlewaretoken": str(token)}).status_code == 302
    assert Release.objects.get().state == Release.State.BUILDING


def test_the_admin_edits_a_releases_notes_and_doi_and_nothing_else(sample_data, release_storage, editor):
    release = published("First notes.")
    client = signed_in(editor)
    url = reverse("admin:releases_release_change", args=[release.pk])

    bad = client.post(url, {"notes": "x", "doi": "zenodo 42", "files-TOTAL_FORMS": "0", "files-INITIAL_FORMS": "0"})
    assert bad.status_code == 200
    assert "Give the DOI itself" in bad.content.decode()
    saved = client.post(
        url,
        {
            "notes": "Corrected notes.",
            "doi": "https://doi.org/10.5281/zenodo.42",
            "number": "7",
            "state": "failed",
            "files-TOTAL_FORMS": "0",
            "files-INITIAL_FORMS": str(release.files.count()),
        },
    )
    assert saved.status_code == 302

    release.refresh_from_db()
    assert (release.notes, release.doi, release.number, release.state) == (
        "Corrected notes.",
        "10.5281/zenodo.42",
        1,
        "published",
    )
    assert client.post(reverse("admin:releases_release_add")).status_code == 403


def test_nobody_deletes_a_published_release_and_a_superuser_deletes_a_stuck_one(sample_data, release_storage):
    boss = staff("boss")
    boss.is_superuser = True
    boss.save()
    client = signed_in(boss)
    release = published()

    assert client.post(reverse("admin:releases_release_delete", args=[release.pk]), {"post": "yes"}).status_code == 403
    stuck = publishing.start(None)
    confirm = client.get(reverse("admin:releases_release_delete", args=[stuck.pk]))
    assert confirm.status_code == 200
    assert client.post(reverse("admin:releases_release_delete", args=[stuck.pk]), {"post": "yes"}).status_code == 302

    assert list(Release.objects.all()) == [release]
    assert publishing.next_number() == 2


def test_the_release_list_shows_numbers_states_dates_and_counts_in_few_queries(
    sample_data, release_storage, editor, django_assert_max_num_queries
):
    first = published()
    published()
    client = signed_in(editor)

    with django_assert_max_num_queries(16):  # 3 for the releases, the rest the admin's own
        page = client.get(reverse(RELEASES)).content.decode()

    assert "Release 1" in page and "Release 2" in page
    assert str(first.figures["interactions"]) in page
    assert ReleaseFile.objects.filter(format="manifest").count() == 2
