"""The curation rules (curation.workflow) as curators and reviewers meet them."""

import pytest
from django.contrib.auth.models import Group, User

from curation import workflow
from curation.models import CurationEvent, PendingSourceChange
from proteins.importing.run import import_pages
from proteins.models import DetectionMethod, Interaction, SourceDatabase

pytestmark = pytest.mark.django_db

Status = Interaction.Status


def member(username, *groups):
    user = User.objects.create_user(username, password="x")
    user.groups.set(Group.objects.filter(name__in=groups))
    return User.objects.get(pk=user.pk)  # fresh: permissions are cached per instance


@pytest.fixture
def people():
    return {
        "curator": member("cora", "curator"),
        "reviewer": member("rex", "reviewer"),
        "other_reviewer": member("rita", "reviewer"),
        "visitor": member("vic"),
    }


@pytest.fixture
def interaction(fixture_pages):
    import_pages([fixture_pages / "P09022.md"])
    return Interaction.objects.get(tf__accession="P09022", target__accession="Q03145")


def test_curator_flags_with_a_reason_and_the_act_is_recorded(people, interaction):
    event = workflow.flag(interaction, people["curator"], "ChIP peak far from the gene", version=1)

    interaction.refresh_from_db()
    assert (interaction.status, interaction.version) == (Status.FLAGGED, 2)
    assert (event.actor, event.action, event.from_status, event.to_status, event.reason) == (
        people["curator"],
        "flag",
        "unreviewed",
        "flagged",
        "ChIP peak far from the gene",
    )
    latest = interaction.history.first()
    assert (latest.status, latest.history_user, latest.history_change_reason) == (
        "flagged",
        people["curator"],
        "flag: ChIP peak far from the gene",
    )


@pytest.mark.parametrize("action", ["flag", "reject", "reopen"])
def test_flag_reject_and_reopen_need_a_reason(people, interaction, action):
    if action == "reopen":
        workflow.approve(interaction, people["reviewer"])

    with pytest.raises(workflow.CurationError, match="A reason is required"):
        workflow.transition(interaction, action, people["reviewer"], reason="  ")

    assert CurationEvent.objects.filter(action=action).count() == 0


def test_reviewer_approves_or_rejects_new_and_flagged_interactions(people, interaction):
    workflow.flag(interaction, people["curator"], "doubtful")
    workflow.reject(interaction, people["reviewer"], "no binding motif")
    assert Interaction.objects.get(pk=interaction.pk).status == Status.REJECTED

    workflow.reopen(interaction, people["other_reviewer"], "new ChIP-seq data")
    assert Interaction.objects.get(pk=interaction.pk).status == Status.FLAGGED
    workflow.approve(interaction, people["reviewer"])
    assert Interaction.objects.get(pk=interaction.pk).status == Status.APPROVED

    actions = list(CurationEvent.objects.filter(interaction=interaction).values_list("action", flat=True))
    assert actions == ["approve", "reopen", "reject", "flag"]


@pytest.mark.parametrize(
    ("role", "action", "message"),
    [
        ("curator", "approve", "Only a reviewer may approve"),
        ("curator", "reject", "Only a reviewer may reject"),
        ("visitor", "flag", "Only a curator may flag"),
    ],
)
def test_roles_limit_who_may_do_what(people, interaction, role, action, message):
    with pytest.raises(workflow.NotAllowed, match=message):
        workflow.transition(interaction, action, people[role], reason="because")

    assert Interaction.objects.get(pk=interaction.pk).status == Status.UNREVIEWED


@pytest.mark.parametrize(
    ("start", "action", "refusal"),
    [
        ("approved", "approve", "An approved interaction cannot be approved."),
        ("approved", "flag", "An approved interaction cannot be flagged."),
        ("rejected", "reject", "A rejected interaction cannot be rejected."),
        ("unreviewed", "reopen", "An unreviewed interaction cannot be reopened."),
    ],
)
def test_transitions_outside_the_state_machine_are_refused(people, interaction, start, action, refusal):
    Interaction.objects.filter(pk=interaction.pk).update(status=start)
    interaction.refresh_from_db()

    with pytest.raises(workflow.CurationError) as refused:
        workflow.transition(interaction, action, people["reviewer"], reason="because")
    assert str(refused.value) == refusal


def test_a_reviewer_never_approves_their_own_edit(people, interaction):
    workflow.edit_evidence(
        interaction,
        people["reviewer"],
        1,
        source_databases=["TRRUST", "ORegAnno"],
        detection_methods=["inferred by curator"],
        pmids=[9733765],
        small_scale=True,
        reason="added ORegAnno",
    )

    with pytest.raises(workflow.NotAllowed, match="another reviewer must approve"):
        workflow.approve(interaction, people["reviewer"])
    assert workflow.allowed_actions(people["reviewer"], interaction) == ["flag", "reject"]

    workflow.approve(interaction, people["other_reviewer"])
    assert Interaction.objects.get(pk=interaction.pk).status == Status.APPROVED


def test_an_act_based_on_an_old_version_is_refused_with_the_current_values(people, interaction):
    seen_by_both = interaction.version
    workflow.flag(interaction, people["curator"], "doubtful", version=seen_by_both)

    with pytest.raises(workflow.ConcurrentEdit) as refused:
        workflow.edit_evidence(
            Interaction.objects.get(pk=interaction.pk),
            people["other_reviewer"],
            seen_by_both,
            source_databases=["GTRD"],
            detection_methods=[],
            pmids=[],
            small_scale=False,
        )

    assert "Someone else changed this interaction" in str(refused.value)
    assert (refused.value.current.status, refused.value.current.version) == (Status.FLAGGED, seen_by_both + 1)
    assert list(interaction.source_databases.values_list("name", flat=True)) == ["TRRUST"]


def test_evidence_edit_replaces_evidence_and_marks_the_interaction_curated(people, interaction):
    workflow.edit_evidence(
        interaction,
        people["curator"],
        interaction.version,
        source_databases=["GTRD", " ", "GTRD"],
        detection_methods=["chromatin immunoprecipitation assay"],
        pmids=[27924024],
        small_scale=False,
        reason="TRRUST entry withdrawn",
    )

    interaction.refresh_from_db()
    assert list(interaction.source_databases.values_list("name", flat=True)) == ["GTRD"]
    assert list(interaction.publications.values_list("pmid", flat=True)) == [27924024]
    assert (interaction.small_scale, interaction.last_edited_by) == (False, people["curator"])
    assert workflow.is_curated(interaction.status, interaction.last_edited_by_id)
    assert interaction.curation_events.get().action == "edit"


def test_bulk_acts_change_what_the_rules_allow_and_report_the_rest(people, fixture_pages):
    import_pages([fixture_pages / "P46152.md"])
    interactions = list(Interaction.objects.filter(target__accession="P46152"))
    Interaction.objects.filter(pk=interactions[0].pk).update(status=Status.APPROVED)
    interactions[0].refresh_from_db()

    done, refused = workflow.bulk_transition(interactions, "reject", people["reviewer"], "not in liver")

    assert len(done) == len(interactions) - 1
    assert refused == [(interactions[0], "An approved interaction cannot be rejected.")]
    assert Interaction.objects.filter(target__accession="P46152", status=Status.REJECTED).count() == len(done)


def test_comments_need_a_role_and_text(people, interaction):
    comment = workflow.add_comment(interaction, people["curator"], "  see PMID 9733765  ")

    assert comment.text == "see PMID 9733765"
    with pytest.raises(workflow.CurationError):
        workflow.add_comment(interaction, people["curator"], "   ")
    with pytest.raises(workflow.NotAllowed):
        workflow.add_comment(interaction, people["visitor"], "hello")


def test_rejected_interactions_leave_the_public_queryset(people, interaction):
    workflow.reject(interaction, people["reviewer"], "wrong organism")

    assert not Interaction.objects.public().filter(pk=interaction.pk).exists()


# Source databases and detection methods are one record per name, whatever its case.


def test_evidence_edit_takes_source_and_method_names_in_any_case(people, interaction):
    workflow.edit_evidence(
        interaction,
        people["curator"],
        interaction.version,
        source_databases=["trrust", "NewDB", "newdb"],
        detection_methods=["Inferred By Curator"],
        pmids=[],
        small_scale=False,
    )

    assert sorted(interaction.source_databases.values_list("name", flat=True)) == ["NewDB", "TRRUST"]
    assert list(interaction.detection_methods.values_list("name", flat=True)) == ["inferred by curator"]
    assert sorted(SourceDatabase.objects.values_list("name", flat=True)) == ["NewDB", "TRRUST"]


def test_accepted_source_change_takes_names_in_any_case(people, interaction):
    change = PendingSourceChange.objects.create(
        interaction=interaction, source_databases=["trrust", "jaspar"], detection_methods=["INFERRED BY CURATOR"]
    )

    workflow.decide_source_change(change, people["curator"], accept=True)

    assert sorted(interaction.source_databases.values_list("name", flat=True)) == ["TRRUST", "jaspar"]
    assert list(DetectionMethod.objects.values_list("name", flat=True)) == ["inferred by curator"]


def test_a_long_reason_is_kept_whole_in_the_event_and_the_field_history(people, interaction):
    reason = "The cited paper shows the opposite in Figure 3. " * 40  # a visitor's report can be this long

    workflow.flag(interaction, people["curator"], reason)

    assert CurationEvent.objects.get(interaction=interaction, action="flag").reason == reason.strip()
    assert interaction.history.first().history_change_reason == f"flag: {reason.strip()}"
