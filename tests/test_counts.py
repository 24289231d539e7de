"""Each protein's stored counts of public interactions (TFs, targets, small-scale) stay equal to a fresh count,
whatever changes the interactions: imports, curation, admin edits and deletes, spreadsheets."""

from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from curation import workflow
from curation.models import PendingSourceChange
from proteins import counts
from proteins.models import Interaction, Organism, Protein

pytestmark = pytest.mark.django_db

Status = Interaction.Status


def fresh_counts():
    """``{protein id: (TFs, targets, small-scale interactions)}`` counted now from the public interactions."""
    public = Interaction.objects.exclude(status=Status.REJECTED)
    tfs = Counter(public.values_list("target_id", flat=True))
    targets = Counter(public.values_list("tf_id", flat=True))
    small = Counter()
    for tf, target in public.filter(small_scale=True).values_list("tf_id", "target_id"):
        small[tf] += 1
        small[target] += 1
    return {pk: (tfs[pk], targets[pk], small[pk]) for pk in Protein.objects.values_list("pk", flat=True)}


def stored_counts():
    return {
        pk: counted
        for pk, *counted in Protein.objects.values_list("pk", "tf_count", "target_count", "small_scale_count")
    }


def assert_counts_are_right():
    stored, fresh = stored_counts(), fresh_counts()
    wrong = {pk: (stored[pk], fresh[pk]) for pk in fresh if tuple(stored[pk]) != fresh[pk]}
    assert wrong == {}, "protein id: (stored, counted)"


def import_command(*paths):
    call_command("import_pages", *map(str, paths), "--progress", "never", "--jobs", "1", stdout=StringIO())


def make_proteins(count, organism_name="Homo sapiens"):
    organism = Organism.objects.get(name=organism_name)
    return Protein.objects.bulk_create(
        Protein(accession=f"Q{number:05d}", gene_name=f"G{number}", organism=organism) for number in range(count)
    )


@pytest.fixture
def network():
    """Five proteins: 0 regulates 1-4 (0 -> 1 small-scale), 1 regulates 2, 2 regulates itself; counted."""
    proteins = make_proteins(5)
    pairs = [(0, 1, True), (0, 2, False), (0, 3, False), (0, 4, False), (1, 2, False), (2, 2, False)]
    Interaction.objects.bulk_create(
        Interaction(tf=proteins[tf], target=proteins[target], organism=proteins[tf].organism, small_scale=small)
        for tf, target, small in pairs
    )
    counts.interactions_changed()
    return proteins


def interaction(network, tf, target):
    return Interaction.objects.get(tf=network[tf], target=network[target])


def person(name, *roles):
    user = User.objects.create_user(name, password="x", is_staff=True)
    user.groups.set(Group.objects.filter(name__in=roles))
    return user


# The page importer (these need proteins.counts called from the importer's BatchWriter).


def test_imported_pages_store_each_proteins_public_counts(fixture_pages):
    import_command(fixture_pages)

    assert Protein.objects.filter(target_count__gt=0).exists()
    assert Protein.objects.filter(small_scale_count__gt=0).exists()
    assert_counts_are_right()


def test_pages_imported_again_with_new_rows_and_small_scale_evidence_add_to_the_counts(fixture_pages, tmp_path):
    page = (fixture_pages / "P46152.md").read_text()
    (tmp_path / "P46152.md").write_text(page)
    import_command(tmp_path)
    stored = stored_counts()
    import_command(fixture_pages)  # the other pages add interactions, and evidence to P46152's

    assert stored_counts() != stored
    assert_counts_are_right()


def test_a_reimport_of_the_same_pages_keeps_the_counts(fixture_pages):
    import_command(fixture_pages)
    stored = stored_counts()

    import_command(fixture_pages)

    assert stored_counts() == stored
    assert_counts_are_right()


# The counting functions.


def test_new_interactions_are_counted_in_a_few_statements_whatever_their_number(monkeypatch):
    proteins = make_proteins(60)
    monkeypatch.setattr(counts, "CHUNK", 25)
    rows = [(tf.pk, target.pk, (tf.pk + target.pk) % 3 == 0) for tf in proteins[:6] for target in proteins]
    Interaction.objects.bulk_create(
        Interaction(tf_id=tf, target_id=target, organism=proteins[0].organism, small_scale=small)
        for tf, target, small in rows
    )

    with CaptureQueriesContext(connection) as queries:
        counts.interactions_changed((), added=rows)

    updates = [query["sql"] for query in queries if query["sql"].startswith("UPDATE")]
    assert len(updates) <= 3  # all three counts at once, in at most three chunks of 25 proteins
    assert len(queries) - len(updates) <= 1  # and the cached summaries forgotten
    assert_counts_are_right()


def test_small_scale_evidence_gained_is_counted_on_both_proteins(network):
    Interaction.objects.filter(pk=interaction(network, 1, 2).pk).update(small_scale=True)

    counts.interactions_changed((), gained_small_scale=[(network[1].pk, network[2].pk)])

    assert_counts_are_right()
    assert Protein.objects.get(pk=network[2].pk).small_scale_count == 1


def test_refresh_counts_the_proteins_again_and_ignores_deleted_ones(network):
    Protein.objects.filter(pk=network[0].pk).update(tf_count=7, target_count=7, small_scale_count=7)

    counts.interactions_changed([network[0].pk, 10**9, None])

    assert_counts_are_right()


def test_the_recount_command_counts_every_protein(network):
    Protein.objects.update(tf_count=9, target_count=9, small_scale_count=9)
    out = StringIO()

    call_command("recount_interactions", stdout=out)

    assert_counts_are_right()
    assert "5 proteins" in out.getvalue()


def test_the_recount_command_leaves_rejected_interactions_out(network):
    Interaction.objects.filter(tf=network[0], small_scale=True).update(status=Status.REJECTED)
    Interaction.objects.filter(tf=network[1]).update(status=Status.APPROVED)

    call_command("recount_interactions", stdout=StringIO())

    assert_counts_are_right()
    assert stored_counts()[network[1].pk] == [0, 1, 0]  # its one TF, by small-scale evidence, is rejected


def test_counts_of_the_network_are_what_a_visitor_reads(network):
    hub, self_regulated = Protein.objects.get(pk=network[0].pk), Protein.objects.get(pk=network[2].pk)

    assert (hub.tf_count, hub.target_count, hub.small_scale_count, hub.interaction_count) == (0, 4, 1, 4)
    assert (self_regulated.tf_count, self_regulated.target_count) == (3, 1)
    assert (hub.is_tf, hub.is_target, hub.has_small_scale) == (True, False, True)


# Curation: rejected interactions are not public.


def test_rejecting_and_reopening_an_interaction_changes_both_proteins_counts(network):
    reviewer = person("rita", "reviewer")
    row = interaction(network, 0, 1)

    workflow.reject(row, reviewer, "not supported")
    assert_counts_are_right()
    assert Protein.objects.get(pk=network[0].pk).small_scale_count == 0

    workflow.reopen(row, reviewer, "look again")
    assert_counts_are_right()


def test_bulk_reject_changes_the_counts_of_every_protein_involved(network):
    reviewer = person("rita", "reviewer")

    done, refused = workflow.bulk_transition(
        list(Interaction.objects.filter(tf=network[0])), workflow.Action.REJECT, reviewer, "wrong cell line"
    )

    assert (len(done), refused) == (4, [])
    assert Protein.objects.get(pk=network[0].pk).target_count == 0
    assert_counts_are_right()


def test_editing_small_scale_evidence_changes_the_counts(network):
    curator = person("cora", "curator")
    row = interaction(network, 0, 2)

    workflow.edit_evidence(
        row, curator, row.version, source_databases=["TRRUST"], detection_methods=[], pmids=[], small_scale=True
    )

    assert Protein.objects.get(pk=network[2].pk).small_scale_count == 1
    assert_counts_are_right()


def test_accepting_a_source_change_with_small_scale_evidence_changes_the_counts(network):
    curator = person("cora", "curator")
    row = interaction(network, 1, 2)
    row.status = Status.APPROVED
    row.save()
    change = PendingSourceChange.objects.create(interaction=row, small_scale=True, source_databases=["TRRUST"])

    workflow.decide_source_change(change, curator, accept=True)

    assert Protein.objects.get(pk=network[2].pk).small_scale_count == 1
    assert_counts_are_right()


# The admin and its spreadsheets.


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("admin", password="x"))
    return client


def test_deleting_an_interaction_in_the_admin_changes_the_counts(admin_client, network):
    row = interaction(network, 0, 1)

    response = admin_client.post(reverse("admin:proteins_interaction_delete", args=[row.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert_counts_are_right()


def test_deleting_selected_interactions_in_the_admin_changes_the_counts(admin_client, network):
    selected = [interaction(network, 0, 3).pk, interaction(network, 1, 2).pk]

    response = admin_client.post(
        reverse("admin:proteins_interaction_changelist"),
        {"action": "delete_selected", "_selected_action": selected, "post": "yes"},
    )

    assert response.status_code == 302
    assert not Interaction.objects.filter(pk__in=selected).exists()
    assert_counts_are_right()


def test_deleting_a_protein_in_the_admin_changes_its_partners_counts(admin_client, network):
    response = admin_client.post(reverse("admin:proteins_protein_delete", args=[network[0].pk]), {"post": "yes"})

    assert response.status_code == 302
    assert Protein.objects.get(pk=network[1].pk).tf_count == 0
    assert_counts_are_right()


def test_adding_an_interaction_in_the_admin_counts_it(admin_client, network):
    response = admin_client.post(
        reverse("admin:proteins_interaction_add"),
        {
            "tf": network[4].pk,
            "target": network[3].pk,
            "organism": network[4].organism_id,
            "small_scale": "on",
            "seen_version": "",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert Protein.objects.get(pk=network[4].pk).target_count == 1
    assert_counts_are_right()


def test_a_spreadsheet_of_interactions_is_counted_when_imported(admin_client, network):
    sheet = (
        "tf_accession,target_accession,source_databases,detection_methods,pubmed_ids,small_scale\n"
        f"{network[3].accession},{network[4].accession},GTRD,,,Yes\n"
        f"{network[1].accession},{network[2].accession},GTRD,,,Yes\n"
    )
    from tablib import Dataset

    from proteins.resources import InteractionResource

    result = InteractionResource().import_data(
        Dataset().load(sheet, format="csv"), dry_run=False, user=User.objects.get(username="admin")
    )

    assert not result.has_errors() and not result.has_validation_errors()
    assert Protein.objects.get(pk=network[4].pk).small_scale_count == 1
    assert_counts_are_right()
