"""A release is a frozen copy of what the public saw when it was taken, and two releases differ
by exactly the curation between them."""

import pytest
from django.db import connection

from curation import workflow
from proteins.exports import tflink_tsv
from proteins.models import Interaction
from proteins.selectors.streams import interaction_records as live_records
from releases import selectors
from releases.differences import Difference
from releases.freezing import freeze
from releases.models import Release
from tests.test_import_engines import analysed_columns

pytestmark = pytest.mark.django_db


def new_release(number):
    return Release.objects.create(number=number)


def published(number):
    release = freeze(new_release(number))
    Release.objects.filter(pk=release.pk).update(state=Release.State.PUBLISHED)
    release.refresh_from_db()
    return release


def test_a_release_holds_what_the_public_sees_and_later_curation_changes_nothing_in_it(sample_data, reviewer):
    hidden = Interaction.objects.order_by("pk")[0]
    workflow.reject(hidden, reviewer, "No binding in the cited assay.")
    public = Interaction.objects.public()
    live_tsv = "".join(tflink_tsv(live_records(public, dates=True)))

    release = published(1)

    frozen = selectors.interaction_records(release.interactions.all())
    assert "".join(tflink_tsv(frozen)) == live_tsv
    assert release.figures["interactions"] == public.count()
    assert sum(release.figures["organism"].values()) == public.count()
    assert release.figures["status"].get("rejected") is None
    assert release.binding_sites.count() == release.figures["binding_sites"] > 0

    workflow.reject(public.order_by("pk")[0], reviewer, "Retracted paper.")
    Interaction.objects.update(mode="repression")
    frozen_again = selectors.interaction_records(release.interactions.all())
    assert "".join(tflink_tsv(frozen_again)) == live_tsv


def test_the_difference_lists_added_withdrawn_changed_and_the_acts_between(sample_data, curator, reviewer):
    first = published(1)
    withdrawn, changed = Interaction.objects.public().order_by("pk")[:2]
    workflow.reject(withdrawn, reviewer, "The cited paper shows the reverse.")
    workflow.approve(changed, reviewer)

    second = published(2)
    difference = Difference(first, second)

    assert list(difference.withdrawn().values_list("interaction_id", flat=True)) == [withdrawn.pk]
    assert list(difference.changed().values_list("interaction_id", flat=True)) == [changed.pk]
    assert difference.added().count() == 0
    assert second.difference == {"added": 0, "withdrawn": 1, "changed": 1, "acts": 2}
    reasons = difference.withdrawal_reasons(list(difference.withdrawn()))
    assert reasons[withdrawn.pk].reason == "The cited paper shows the reverse."
    fields = difference.changed_fields(list(difference.changed()))[changed.pk]
    assert fields["status"] == ("unreviewed", "approved")
    changed.refresh_from_db()
    assert second.interactions.get(interaction_id=changed.pk).confidence == changed.confidence
    assert [event.action for event in difference.acts().order_by("pk")] == ["reject", "approve"]
    assert Difference(second, first).withdrawn().count() == 1  # any order


def test_a_frozen_release_leaves_the_planner_knowing_its_rows(sample_data):
    published(1)

    if connection.vendor == "postgresql":  # SQLite plans without statistics
        assert {"release_id", "interaction_id", "tf_accession"} <= analysed_columns("releases_releaseinteraction")
