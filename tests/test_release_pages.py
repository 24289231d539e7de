"""The public pages of releases: the list, a release's page, the newest, its files at stable addresses,
and the difference between two releases as a page, TSV and JSON."""

import gzip
import hashlib
import io
import json

import pandas
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from curation import literature, workflow
from curation.literature import PublicationRead
from proteins.models import Interaction, Mode, Organism, Protein
from releases import changes
from releases.freezing import freeze
from releases.models import Release, ReleaseFile

pytestmark = pytest.mark.django_db

TSV_TEXT = b"UniprotID.TF\tUniprotID.Target\nP04637\tQ07812\n"


def publish(number, **fields):
    release = freeze(Release.objects.create(number=number, **fields))
    Release.objects.filter(pk=release.pk).update(state=Release.State.PUBLISHED)
    release.refresh_from_db()
    return release


def add_file(release, name, data, organism=None, file_format="tsv"):
    """A file of ``release`` saved into the releases' storage, with its row as publishing writes it."""
    stored = storages["releases"].save(f"release-{release.number}/{name}", ContentFile(data))
    return ReleaseFile.objects.create(
        release=release,
        organism=organism,
        format=file_format,
        name=name,
        storage_name=stored,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        rows=1,
    )


def text_of(response):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode()


@pytest.fixture
def two_releases(sample_data, reviewer):
    """Release 1; then one interaction rejected with a reason and one approved; release 2.
    Returns (release 1, release 2, the rejected interaction, the approved one)."""
    first = publish(1, notes="The **first** release.")
    withdrawn, changed = Interaction.objects.public().order_by("pk")[:2]
    workflow.reject(withdrawn, reviewer, "The cited paper shows the reverse.")
    workflow.approve(changed, reviewer)
    second = publish(2, notes="Curated.", doi="10.5281/zenodo.1234")
    return first, second, withdrawn, changed


# The list, a release's page, the newest.


def test_the_list_shows_published_releases_newest_first_with_notes_dates_and_counts(client, two_releases):
    first, second, _withdrawn, _changed = two_releases
    Release.objects.create(number=3)  # being built
    Release.objects.create(number=4, state=Release.State.FAILED)

    page = text_of(client.get("/releases/"))

    assert page.index("Release 2") < page.index("Release 1")
    assert "Release 3" not in page and "Release 4" not in page
    assert "The <strong>first</strong> release." in page
    assert f"{first.figures['interactions']} interactions" in page
    assert "1 withdrawn, 1 changed" in page
    assert second.published_at.strftime("%Y-%m-%d") in page


def test_release_notes_are_data_never_markup(client, sample_data):
    publish(1, notes='<script>alert("notes")</script>\n\n[click](javascript:alert(1)) <img src=x onerror=alert(2)>')

    for url in ("/releases/", "/releases/1/"):
        page = text_of(client.get(url))
        assert "<script>alert" not in page and 'href="javascript:' not in page and "<img" not in page, url
        assert "&lt;script&gt;alert" in page and "&lt;img src=x" in page, url  # shown as text


def test_a_release_being_built_or_failed_is_not_found_at_any_of_its_addresses(client, sample_data, release_storage):
    building = freeze(Release.objects.create(number=1))
    add_file(building, "Homo_sapiens.tsv.gz", gzip.compress(TSV_TEXT))
    Release.objects.create(number=2, state=Release.State.FAILED)
    publish(3)

    for url in (
        "/releases/1/",
        "/releases/1/files/Homo_sapiens.tsv.gz",
        "/releases/1/diff/3/",
        "/releases/1/diff/3.tsv",
        "/releases/2/",
        "/releases/0/",
        "/releases/99999999999999999999/",
    ):
        assert client.get(url).status_code == 404, url
    assert "No published release 1." in text_of(client.get("/releases/1/"))


def test_latest_redirects_to_the_newest_published_release(client, sample_data):
    response = client.get("/releases/latest/")
    assert response.status_code == 404
    assert "No release has been published yet." in text_of(response)

    publish(1)
    publish(2)
    Release.objects.create(number=3)

    response = client.get("/releases/latest/")
    assert (response.status_code, response["Location"]) == (302, "/releases/2/")


def test_a_release_page_shows_figures_files_its_difference_and_how_to_cite_it(
    client, two_releases, release_storage, django_assert_max_num_queries
):
    _first, second, withdrawn, changed = two_releases
    human = Organism.objects.get(taxon_id=9606)
    add_file(second, "Homo_sapiens.tsv.gz", gzip.compress(TSV_TEXT), organism=human)
    manifest = add_file(second, "manifest.json", b'{"release": 2}', file_format="manifest")

    client.get("/releases/")  # the site's menu, read once into the cache
    with django_assert_max_num_queries(16):
        response = client.get("/releases/2/")
    with django_assert_max_num_queries(5):  # its difference from release 1 is kept in the cache
        assert text_of(client.get("/releases/2/")) == text_of(response)
    page = text_of(response)

    for organism, count in second.figures["organism"].items():
        assert f'<td>{organism}</td><td class="num">{count}</td>' in page
    assert f'<td>approved</td><td class="num">{second.figures["status"]["approved"]}</td>' in page
    assert 'href="/releases/2/files/Homo_sapiens.tsv.gz"' in page and manifest.sha256 in page
    assert "<i>Homo sapiens</i>" in page
    assert "The cited paper shows the reverse." in page  # the withdrawn interaction, with its reason
    assert f"({withdrawn.tf.accession})" in page and f"({changed.target.accession})" in page
    assert "status</span>: unreviewed → approved" in page
    assert 'href="/releases/1/diff/2/"' in page and 'href="/releases/1/"' in page
    date = second.published_at.strftime("%Y-%m-%d")
    cited = (
        f"{settings.PORTAL_NAME}, release 2 ({date}). http://testserver/releases/2/ https://doi.org/10.5281/zenodo.1234"
    )
    assert cited in page
    assert 'href="https://doi.org/10.5281/zenodo.1234"' in page
    assert "http://testserver/api/interactions/?release=2" in page
    first_page = text_of(client.get("/releases/1/"))
    assert "The first release: no previous one to compare with." in first_page
    assert "doi.org" not in first_page


def test_the_site_links_to_releases_from_its_menu_and_the_downloads_page(client, sample_data):
    for url in ("/", "/downloads/"):
        assert 'href="/releases/"' in text_of(client.get(url)), url


# Files at stable addresses.


def test_a_release_file_is_served_as_stored_with_a_strong_etag_and_cached_for_good(
    client, sample_data, release_storage
):
    release = publish(1)
    data = gzip.compress(TSV_TEXT)
    stored = add_file(release, "Homo_sapiens.tsv.gz", data)
    url = "/releases/1/files/Homo_sapiens.tsv.gz"

    response = client.get(url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data == (release_storage / stored.storage_name).read_bytes()
    assert response["ETag"] == f'"{stored.sha256}"'
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["Content-Type"] == "application/gzip"
    assert not response.has_header("Content-Encoding")  # the .gz itself, so that its SHA-256 holds
    assert response["Content-Disposition"] == 'attachment; filename="Homo_sapiens.tsv.gz"'
    assert response["Content-Length"] == str(len(data))
    assert gzip.decompress(data) == TSV_TEXT

    again = client.get(url, HTTP_IF_NONE_MATCH=f'"{stored.sha256}"')
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == f'"{stored.sha256}"' and again["Cache-Control"].endswith("immutable")
    assert client.get(url, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200

    head = client.head(url)
    assert head.status_code == 200 and head["ETag"] == f'"{stored.sha256}"'
    assert head["Content-Length"] == str(len(data))
    assert client.post(url).status_code == 405


def test_the_manifest_is_json_to_read_in_the_browser_and_unknown_files_are_404(client, sample_data, release_storage):
    release = publish(1)
    add_file(release, "manifest.json", b'{"release": 1}', file_format="manifest")

    response = client.get("/releases/1/files/manifest.json")

    assert response["Content-Type"] == "application/json"
    assert not response.has_header("Content-Disposition") or "inline" in response["Content-Disposition"]
    assert json.loads(b"".join(response.streaming_content)) == {"release": 1}
    assert client.get("/releases/1/files/Mus_musculus.tsv.gz").status_code == 404
    assert client.get("/releases/2/files/manifest.json").status_code == 404


def test_a_file_missing_from_the_storage_is_a_404_not_a_server_error(client, sample_data, release_storage):
    stored = add_file(publish(1), "Homo_sapiens.tsv.gz", gzip.compress(TSV_TEXT))
    storages["releases"].delete(stored.storage_name)

    assert client.get("/releases/1/files/Homo_sapiens.tsv.gz").status_code == 404


# The difference between two releases.


def test_the_difference_page_shows_a_withdrawn_interaction_with_its_reason(client, two_releases):
    _first, _second, withdrawn, changed = two_releases

    withdrawn_page = text_of(client.get("/releases/1/diff/2/"))  # the first kind with rows
    changed_page = text_of(client.get("/releases/1/diff/2/?kind=changed"))
    acts_page = text_of(client.get("/releases/1/diff/2/?kind=acts"))

    assert "Withdrawn (1)" in withdrawn_page and "Added (0)" in withdrawn_page
    assert "Rejected on" in withdrawn_page and "The cited paper shows the reverse." in withdrawn_page
    assert f"({withdrawn.target.accession})" in withdrawn_page
    assert f"({changed.target.accession})" in changed_page and "unreviewed → approved" in changed_page
    assert "Curation acts (2)" in acts_page
    assert acts_page.index("Reject") < acts_page.index("Approve")


def test_the_difference_in_either_order_is_the_same_address(client, two_releases):
    response = client.get("/releases/2/diff/1/?kind=acts")
    assert (response.status_code, response["Location"]) == (301, "/releases/1/diff/2/?kind=acts")
    assert client.get("/releases/2/diff/1.tsv")["Location"] == "/releases/1/diff/2.tsv"


def test_difference_pages_follow_each_other_by_key_in_a_fixed_number_of_queries(
    client, sample_data, reviewer, monkeypatch, django_assert_max_num_queries
):
    publish(1)
    rejected = list(Interaction.objects.public().order_by("pk")[:5])
    for interaction in rejected:
        workflow.reject(interaction, reviewer, f"Reason {interaction.pk}.")
    publish(2)
    monkeypatch.setattr(changes, "PAGE_ROWS", 2)

    client.get("/releases/")  # the site's menu, read once into the cache
    url, seen = "/releases/1/diff/2/?kind=withdrawn", []
    while url:
        with django_assert_max_num_queries(20 if not seen else 14):  # the first page counts the changes too
            response = client.get(url)
        page = response.context
        seen.extend(entry.interaction_id for entry in page["rows"])
        assert all(entry.act.reason == f"Reason {entry.interaction_id}." for entry in page["rows"])
        url = f"/releases/1/diff/2/?kind=withdrawn&after={page['next_after']}" if page["next_after"] else None
    assert seen == [interaction.pk for interaction in rejected]
    with django_assert_max_num_queries(4):  # a page seen before comes from the cache
        client.get("/releases/1/diff/2/?kind=withdrawn")


def unpaired_proteins(organism):
    """Two proteins of ``organism`` with no interaction of the first on the second."""
    proteins = list(Protein.objects.filter(organism=organism).order_by("pk")[:20])
    held = set(Interaction.objects.values_list("tf_id", "target_id"))
    return next((tf, target) for tf in proteins for target in proteins if (tf.pk, target.pk) not in held)


def test_acts_on_interactions_never_public_stay_out_of_the_difference(client, sample_data, curator, reviewer):
    publish(1)
    human = Organism.objects.get(taxon_id=9606)
    tf, target = unpaired_proteins(human)
    read = [PublicationRead(12345, Mode.ACTIVATION, "It binds the promoter.")]
    entered = literature.enter_interaction(curator, human, tf.accession, target.accession, read)
    workflow.reject(entered.interaction, reviewer, "Not in the paper.")
    publish(2)

    assert "Not in the paper." not in text_of(client.get("/releases/1/diff/2/?kind=acts"))
    assert "Not in the paper." not in text_of(client.get("/releases/1/diff/2.tsv"))


def test_the_difference_as_tsv_reads_in_pandas_with_one_row_per_change(client, two_releases):
    _first, _second, withdrawn, changed = two_releases
    event = withdrawn.curation_events.get()
    event.reason = 'Two\tlines\nand "quotes"'
    event.save()

    response = client.get("/releases/1/diff/2.tsv")
    text = b"".join(response.streaming_content).decode()
    table = pandas.read_csv(io.StringIO(text), sep="\t", dtype=str, keep_default_na=False)

    assert response["Content-Disposition"] == 'attachment; filename="release_1_to_2_changes.tsv"'
    assert list(table.columns) == list(changes.COLUMNS)
    gone = table[table.change == "withdrawn"].iloc[0]
    assert (gone.interaction_id, gone.tf_accession, gone.act) == (str(withdrawn.pk), withdrawn.tf.accession, "reject")
    assert (gone.field, gone.old, gone.new) == ("status", "unreviewed", "rejected")
    assert gone.reason == 'Two lines and "quotes"'
    moved = table[table.change == "changed"]
    assert set(moved.interaction_id) == {str(changed.pk)}
    assert ("status", "unreviewed", "approved") in set(zip(moved.field, moved.old, moved.new, strict=True))
    assert list(table[table.change == "act"].act) == ["reject", "approve"]
    assert len(table[table.change == "added"]) == 0


def test_the_difference_as_json_is_one_document_of_flat_rows(client, two_releases):
    _first, _second, withdrawn, _changed = two_releases

    response = client.get("/releases/1/diff/2.json")
    document = json.loads(b"".join(response.streaming_content))

    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert (document["from"]["number"], document["to"]["number"]) == (1, 2)
    assert document["to"]["doi"] == "10.5281/zenodo.1234"
    assert document["columns"] == list(changes.COLUMNS)
    assert all(set(row) == set(changes.COLUMNS) for row in document["changes"])
    gone = next(row for row in document["changes"] if row["change"] == "withdrawn")
    assert (gone["interaction_id"], gone["reason"]) == (withdrawn.pk, "The cited paper shows the reverse.")


def test_the_difference_between_releases_not_next_to_each_other(client, two_releases, reviewer):
    publish(3)

    page = text_of(client.get("/releases/1/diff/3/?kind=withdrawn"))

    assert "The cited paper shows the reverse." in page
    assert "Withdrawn (" not in page  # counts are kept for a release and its previous one only
    assert client.get("/releases/1/diff/4/").status_code == 404
