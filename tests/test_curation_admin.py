"""The curation record in the staff admin (acts, comments, pending source changes): read-only, searchable,
decided by the actions that call the workflow."""

import html

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from curation import workflow
from curation.models import Comment, CurationEvent, PendingSourceChange
from proteins.importing.run import import_pages
from proteins.models import Interaction
from tests.accounts import signed_in, staff


@pytest.fixture
def imported(db, fixture_pages):
    report = import_pages([fixture_pages])
    assert not report.failures
    return report


def interactions_of(accession, count):
    """``count`` interactions whose target is ``accession``, in a stable order."""
    return list(Interaction.objects.filter(target__accession=accession).order_by("pk")[:count])


def text_of(response):
    """The page as a reader sees its text: entities such as &#x27; turned back into characters."""
    return html.unescape(response.content.decode())


def shown_messages(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


# The curation record, read-only.


@pytest.fixture
def curation_record(imported, curator, reviewer):
    first, second = interactions_of("P49335", 2)
    workflow.flag(first, curator, "odd")
    workflow.add_comment(first, curator, "see the 2019 paper")
    change = PendingSourceChange.objects.create(interaction=second, source_databases=["ReMap"], pmids=[11111111])
    return {"event": CurationEvent.objects.get(), "comment": Comment.objects.get(), "change": change}


@pytest.mark.parametrize("kind", ["event", "comment", "change"])
def test_curation_records_can_be_read_but_not_added_changed_or_deleted(admin_client, curation_record, kind):
    record = curation_record[kind]
    name = f"admin:curation_{record._meta.model_name}"

    page = admin_client.get(reverse(f"{name}_change", args=[record.pk]))

    assert page.status_code == 200
    assert 'name="_save"' not in text_of(page)
    assert admin_client.get(reverse(f"{name}_add")).status_code == 403
    assert admin_client.post(reverse(f"{name}_change", args=[record.pk]), {}).status_code == 403
    assert admin_client.get(reverse(f"{name}_delete", args=[record.pk])).status_code == 403
    assert type(record).objects.filter(pk=record.pk).exists()


@pytest.mark.parametrize("kind", ["event", "comment", "change"])
def test_curation_records_are_found_by_tf_or_target_accession(admin_client, curation_record, kind):
    record = curation_record[kind]
    url = reverse(f"admin:curation_{record._meta.model_name}_changelist")

    by_tf = admin_client.get(url, {"q": record.interaction.tf.accession}).context["cl"].result_list
    by_target = admin_client.get(url, {"q": "P49335"}).context["cl"].result_list
    by_other = admin_client.get(url, {"q": "Q07812"}).context["cl"].result_list

    assert list(by_tf) == [record]
    assert list(by_target) == [record]
    assert list(by_other) == []


def test_curation_event_list_filters_by_action(admin_client, curation_record):
    url = reverse("admin:curation_curationevent_changelist")

    assert len(admin_client.get(url, {"action__exact": "flag"}).context["cl"].result_list) == 1
    assert len(admin_client.get(url, {"action__exact": "approve"}).context["cl"].result_list) == 0


def test_curator_accepts_a_pending_source_change_from_the_admin(curation_record, curator):
    change = curation_record["change"]

    response = signed_in(curator).post(
        reverse("admin:curation_pendingsourcechange_changelist"),
        {"action": "accept_selected", "_selected_action": [change.pk], "index": 0},
    )

    change.refresh_from_db()
    assert change.decision == PendingSourceChange.Decision.ACCEPTED
    assert "ReMap" in change.interaction.source_databases.values_list("name", flat=True)
    assert 11111111 in change.interaction.publications.values_list("pmid", flat=True)
    assert "Accepted 1 source change." in shown_messages(response)


def test_dismissing_a_source_change_leaves_the_evidence_and_a_second_decision_is_refused(curation_record, curator):
    change = curation_record["change"]
    url = reverse("admin:curation_pendingsourcechange_changelist")
    client = signed_in(curator)

    client.post(url, {"action": "dismiss_selected", "_selected_action": [change.pk], "index": 0})
    again = client.post(url, {"action": "accept_selected", "_selected_action": [change.pk], "index": 0})

    change.refresh_from_db()
    assert change.decision == PendingSourceChange.Decision.DISMISSED
    assert "ReMap" not in change.interaction.source_databases.values_list("name", flat=True)
    assert any("This source change was already dismissed." in message for message in shown_messages(again))


def test_staff_without_a_curation_role_cannot_decide_source_changes(curation_record):
    change = curation_record["change"]
    client = signed_in(staff("helper", permissions=["view_pendingsourcechange"]))

    client.post(
        reverse("admin:curation_pendingsourcechange_changelist"),
        {"action": "accept_selected", "_selected_action": [change.pk], "index": 0},
    )

    assert PendingSourceChange.objects.get(pk=change.pk).decision == PendingSourceChange.Decision.PENDING
