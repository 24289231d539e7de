"""Interactions entered from papers by curators, and the mode a reviewer sets: forms, API, rules, records."""

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from curation import literature, workflow
from curation.literature import ProteinGiven, PublicationRead
from curation.models import Comment, CurationEvent
from proteins.models import (
    Interaction,
    Mode,
    ModeDecision,
    Organism,
    Protein,
    Publication,
    SourceDatabase,
    Statement,
)
from tests.accounts import signed_in, staff

Status = Interaction.Status
Action = CurationEvent.Action
ENTER_URL = "/curation/interaction/new/"
API_ENTER_URL = "/api/curation/interactions/"
HUMAN = "Homo sapiens"
SENTENCE = "p53 binds the MDM2 promoter and activates its transcription."


@pytest.fixture
def human(db):
    organism = Organism.objects.get(name=HUMAN)
    Protein.objects.create(accession="P04637", gene_name="TP53", organism=organism)
    Protein.objects.create(accession="Q00987", gene_name="MDM2", organism=organism)
    Protein.objects.create(accession="P38936", gene_name="CDKN1A", organism=organism)
    # Two proteins one name identifies.
    Protein.objects.create(accession="P11111", gene_name="TWIN", organism=organism)
    Protein.objects.create(accession="P22222", gene_name="TWIN", organism=organism)
    return organism


@pytest.fixture
def second_reviewer(db):
    return staff("barbara", "reviewer")


def protein(accession):
    return Protein.objects.get(accession=accession)


def pair(tf="P04637", target="Q00987"):
    return Interaction.objects.get(tf__accession=tf, target__accession=target)


def form_data(organism, tf="TP53", target="MDM2", publications=(("12345", "activation", SENTENCE),), **fields):
    """The entry form's fields, with the publications formset's rows (three, the empty ones blank)."""
    rows = [*publications, *[("", "unknown", "")] * max(0, 3 - len(publications))]
    data = {
        "organism": organism.pk,
        "tf": tf,
        "target": target,
        "detection_methods": "ChIP-seq\nreporter assay",
        "comment": "",
        "publications-TOTAL_FORMS": str(len(rows)),
        "publications-INITIAL_FORMS": "0",
        "publications-MIN_NUM_FORMS": "1",
        "publications-MAX_NUM_FORMS": "50",
    }
    for number, (pmid, mode, sentence) in enumerate(rows):
        data |= {
            f"publications-{number}-pmid": pmid,
            f"publications-{number}-mode": mode,
            f"publications-{number}-sentence": sentence,
        }
    return data | fields


def api_body(tf="TP53", target="MDM2", publications=None, **fields):
    return {
        "organism": "9606",
        "tf": tf,
        "target": target,
        "publications": publications
        if publications is not None
        else [{"pmid": 12345, "mode": "activation", "sentence": SENTENCE}],
        "detection_methods": ["ChIP-seq"],
        **fields,
    }


def token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def enter(by, tf="TP53", target="MDM2", publications=None, **options):
    return literature.enter_interaction(
        by,
        HUMAN,
        tf,
        target,
        publications or [PublicationRead(12345, Mode.ACTIVATION, SENTENCE)],
        **options,
    )


def public_targets_of(client, accession):
    return [row["target"]["accession"] for row in client.get(f"/api/interactions/?tf={accession}").json()["results"]]


# A new pair: proposed, hidden until another reviewer approves it.


def test_a_curator_enters_a_new_pair_from_the_form_as_proposed_with_its_evidence(human, curator):
    data = form_data(
        human,
        publications=[("PMID:12345", "activation", SENTENCE), ("23456", "repression", "MDM2 is repressed by p53.")],
        small_scale="on",
        comment="Two papers from the same lab.",
    )

    response = signed_in(curator).post(ENTER_URL, data)

    interaction = pair()
    assert response.status_code == 302
    assert response["Location"] == f"/curation/interaction/{interaction.pk}/"
    assert interaction.status == Status.PROPOSED
    assert interaction.last_edited_by == curator
    assert interaction.small_scale
    assert [source.name for source in interaction.source_databases.all()] == [settings.PORTAL_NAME]
    assert sorted(method.name for method in interaction.detection_methods.all()) == ["ChIP-seq", "reporter assay"]
    assert sorted(interaction.publications.values_list("pmid", flat=True)) == [12345, 23456]
    statements = Statement.objects.filter(interaction=interaction).order_by("publication_id")
    assert [(s.publication_id, s.mode, s.source.name, s.entered_by) for s in statements] == [
        (12345, Mode.ACTIVATION, settings.PORTAL_NAME, curator),
        (23456, Mode.REPRESSION, settings.PORTAL_NAME, curator),
    ]
    event = interaction.curation_events.get()
    assert (event.action, event.actor, event.to_status) == (Action.ENTER, curator, Status.PROPOSED)
    assert Comment.objects.get(interaction=interaction).text == "Two papers from the same lab."
    assert interaction.history.earliest().history_user == curator
    workspace = signed_in(curator).get(response["Location"]).content.decode()
    assert "entered from the literature" in workspace
    assert "MDM2 is repressed by p53." in workspace
    assert "proposed interactions are not shown publicly" in workspace.replace("Proposed", "proposed")


def test_a_proposed_pair_is_hidden_from_public_pages_api_downloads_and_counts(human, curator, client):
    enter(curator)

    assert public_targets_of(client, "P04637") == []
    assert "Q00987" not in client.get("/api/interactions/?tf=P04637&format=tsv").getvalue().decode()
    assert "MDM2" not in client.get("/protein/P04637/").content.decode()
    assert client.get("/interaction/P04637/Q00987/").status_code == 404
    assert (protein("P04637").target_count, protein("Q00987").tf_count) == (0, 0)


def test_its_author_cannot_approve_it_and_another_reviewer_makes_it_public_graded(
    human, reviewer, second_reviewer, client
):
    publications = [
        PublicationRead(1, Mode.ACTIVATION, "a"),
        PublicationRead(2, Mode.ACTIVATION, "b"),
        PublicationRead(3, Mode.REPRESSION, "c"),
    ]
    interaction = enter(reviewer, publications=publications).interaction

    with pytest.raises(workflow.NotAllowed, match="another reviewer must approve it"):
        workflow.approve(interaction, reviewer)
    refused = signed_in(reviewer).post(f"/curation/interaction/{interaction.pk}/approve/", {"version": 1})
    assert refused.status_code == 403
    workflow.approve(interaction, second_reviewer)

    interaction.refresh_from_db()
    assert interaction.status == Status.APPROVED
    assert (interaction.mode, interaction.mode_decision) == (Mode.ACTIVATION, ModeDecision.PUBLICATIONS)
    assert interaction.confidence == "A"  # approved, with publications curated here
    assert public_targets_of(client, "P04637") == ["Q00987"]
    assert (protein("P04637").target_count, protein("Q00987").tf_count) == (1, 1)


# A pair the portal holds gains the evidence.


@pytest.fixture
def approved_pair(human, reviewer):
    interaction = Interaction.objects.create(
        tf=protein("P04637"), target=protein("Q00987"), organism=human, status=Status.APPROVED
    )
    interaction.source_databases.add(SourceDatabase.objects.create(name="GTRD"))
    return interaction


def test_an_entry_of_a_held_pair_adds_its_evidence_and_sends_a_decided_one_back_to_flagged(approved_pair, curator):
    entry = enter(curator, comment="A new paper reports the opposite.", version=approved_pair.version)

    assert not entry.created
    assert Interaction.objects.count() == 1
    approved_pair.refresh_from_db()
    assert approved_pair.status == Status.FLAGGED
    assert approved_pair.version == 2
    assert sorted(s.name for s in approved_pair.source_databases.all()) == ["GTRD", settings.PORTAL_NAME]
    assert list(approved_pair.statements.values_list("publication_id", "mode")) == [(12345, Mode.ACTIVATION)]
    event = approved_pair.curation_events.get()
    assert (event.action, event.from_status, event.to_status) == (Action.ENTER, Status.APPROVED, Status.FLAGGED)
    assert event.reason == "A new paper reports the opposite."


def test_a_decided_pair_needs_the_comment_as_the_reason(approved_pair, curator):
    with pytest.raises(literature.InvalidEntry) as refused:
        enter(curator)

    assert "give the reviewers a reason" in refused.value.errors["comment"][0]
    approved_pair.refresh_from_db()
    assert (approved_pair.status, approved_pair.statements.count()) == (Status.APPROVED, 0)


def test_entering_a_publication_again_updates_the_portal_statement_and_the_same_entry_saves_nothing(human, curator):
    enter(curator)
    enter(curator, publications=[PublicationRead(12345, Mode.REPRESSION, "Now read as repression.")])

    assert list(Statement.objects.values_list("publication_id", "mode", "sentence")) == [
        (12345, Mode.REPRESSION, "Now read as repression.")
    ]
    assert pair().mode == Mode.REPRESSION
    with pytest.raises(workflow.CurationError, match="nothing to save"):
        enter(curator, publications=[PublicationRead(12345, Mode.REPRESSION, "Now read as repression.")])


def test_the_form_shows_a_held_pair_first_and_adds_to_the_version_shown(approved_pair, curator):
    client = signed_in(curator)
    data = form_data(approved_pair.organism, comment="Read in a new paper.")

    shown = client.post(ENTER_URL, data)

    assert shown.status_code == 200
    assert "The portal holds this pair" in shown.content.decode()
    assert 'name="version" value="1"' in shown.content.decode()
    assert approved_pair.statements.count() == 0
    saved = client.post(ENTER_URL, data | {"version": "1"})
    assert saved.status_code == 302
    approved_pair.refresh_from_db()
    assert (approved_pair.status, approved_pair.statements.count()) == (Status.FLAGGED, 1)


def test_an_entry_on_an_old_version_is_refused(approved_pair, curator, reviewer):
    workflow.reopen(approved_pair, reviewer, "Checking again.")  # now version 2
    data = form_data(approved_pair.organism, comment="Read in a new paper.", version="1")

    refused = signed_in(curator).post(ENTER_URL, data)
    api = token_client(curator).post(API_ENTER_URL, api_body(version=1, comment="x"), format="json")

    assert refused.status_code == 409
    assert "Someone else changed this interaction" in refused.content.decode()
    assert 'name="version" value="2"' in refused.content.decode()
    assert api.status_code == 409
    assert api.json()["current"]["version"] == 2
    assert approved_pair.statements.count() == 0


# New proteins, and what is refused.


def test_a_protein_the_portal_lacks_is_added_from_its_accession_and_gene_name(human, curator):
    data = form_data(human, target="NEWGENE", target_accession="q9y6q9", target_gene_name="NEWGENE")

    response = signed_in(curator).post(ENTER_URL, data)

    assert response.status_code == 302
    added = protein("Q9Y6Q9")
    assert (added.gene_name, added.organism, added.provenance) == ("NEWGENE", human, Protein.Provenance.CURATOR)
    assert pair("P04637", "Q9Y6Q9").status == Status.PROPOSED


def test_an_accession_alone_adds_the_protein_and_the_identifier_chooses_among_a_names_proteins(human, curator):
    enter(curator, target="O15516")
    enter(curator, target=ProteinGiven("TWIN", accession="P22222"))

    assert protein("O15516").gene_name == ""
    assert pair("P04637", "O15516").status == pair("P04637", "P22222").status == Status.PROPOSED


FORM_REFUSALS = [
    # (form fields, the field shown wrong, words of the message)
    ({"target": "NOSUCH"}, "target", "No protein of Homo sapiens is known as 'NOSUCH'"),
    ({"target": "TWIN"}, "target", "names several proteins of Homo sapiens: TWIN (P11111), TWIN (P22222)"),
    ({"target": "NEW", "target_accession": "XYZ"}, "target_accession", "Enter a UniProt accession"),
    ({"tf": ""}, "tf", "This field is required"),
]


@pytest.mark.parametrize(("fields", "field", "message"), FORM_REFUSALS)
def test_the_form_names_the_field_in_error_and_saves_nothing(human, curator, fields, field, message):
    response = signed_in(curator).post(ENTER_URL, form_data(human, **fields))

    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert message.replace("'", "&#x27;") in response.content.decode()
    assert not Interaction.objects.exists()


@pytest.mark.parametrize(
    ("publications", "message"),
    [
        ([("abc", "activation", SENTENCE)], "Not a PubMed id: abc"),
        ([("12345", "activation", "")], "This field is required"),
        ([("12345", "activation", SENTENCE), ("12345", "repression", "again")], "PMID 12345 is given twice"),
        ([], "Give at least one publication"),
    ],
)
def test_the_form_shows_what_is_wrong_with_the_publications(human, curator, publications, message):
    response = signed_in(curator).post(ENTER_URL, form_data(human, publications=publications))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Interaction.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"target": "NOSUCH"}, "target", "No protein of Homo sapiens is known as 'NOSUCH'"),
        ({"target": "TWIN"}, "target", "names several proteins"),
        ({"target": "NEW", "target_accession": "XYZ"}, "target_accession", "Enter a UniProt accession"),
        ({"target": "P38936", "organism": "Mus musculus"}, "target", "No protein of Mus musculus"),
        ({"organism": "Nowhere"}, "organism", "No organism 'Nowhere'"),
        ({"publications": []}, "publications", "at least one"),
        ({"publications": [{"pmid": 0, "sentence": "s"}]}, "publications", "greater than or equal to 1"),
        ({"publications": [{"pmid": 5, "sentence": "s"}, {"pmid": 5, "sentence": "t"}]}, "publications", "twice"),
        ({"publications": [{"pmid": 5, "mode": "up", "sentence": "s"}]}, "publications", "not a valid choice"),
    ],
)
def test_the_api_answers_400_naming_the_field(human, curator, fields, field, message):
    response = token_client(curator).post(API_ENTER_URL, api_body(**fields), format="json")

    assert response.status_code == 400
    assert field in response.json()["detail"]
    assert message in response.json()["error"]
    assert not Interaction.objects.exists()


def test_the_api_answers_201_for_a_new_pair_and_200_for_evidence_added(human, curator):
    client = token_client(curator)

    created = client.post(API_ENTER_URL, api_body(), format="json")
    added = client.post(
        API_ENTER_URL,
        api_body(publications=[{"pmid": 777, "mode": "repression", "sentence": "Represses."}], version=1),
        format="json",
    )

    assert created.status_code == 201
    assert created.json()["created"] is True
    assert created.json()["interaction"]["status"] == "proposed"
    assert created.json()["event"]["action"] == "enter"
    assert added.status_code == 200
    assert added.json()["created"] is False
    assert added.json()["interaction"]["mode"] == "dual"  # one activation, one repression
    assert Interaction.objects.count() == 1


# Who may enter.


def test_visitors_and_users_without_a_role_may_not_enter(human, client):
    nobody = User.objects.create_user("nobody", password="x")

    assert client.get(ENTER_URL)["Location"].startswith("/curation/login/")
    assert client.post(ENTER_URL, form_data(human)).status_code == 302
    assert signed_in(nobody).get(ENTER_URL).status_code == 403
    assert signed_in(nobody).post(ENTER_URL, form_data(human)).status_code == 403
    assert APIClient().post(API_ENTER_URL, api_body(), format="json").status_code == 401
    refused = token_client(nobody).post(API_ENTER_URL, api_body(), format="json")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Only a curator may enter interactions."
    with pytest.raises(workflow.NotAllowed):
        enter(nobody)
    assert not Interaction.objects.exists()


def test_the_form_needs_the_csrf_token(human, curator):
    client = signed_in(curator, enforce_csrf_checks=True)

    assert client.post(ENTER_URL, form_data(human)).status_code == 403
    assert not Interaction.objects.exists()


def test_the_dashboard_links_to_the_entry_form_which_costs_the_same_queries_for_more_organisms(
    human, curator, django_assert_num_queries
):
    client = signed_in(curator)
    assert ENTER_URL in client.get("/curation/").content.decode()  # and the first request of the session is done
    with CaptureQueriesContext(connection) as few:
        assert client.get(ENTER_URL).status_code == 200
    Organism.objects.bulk_create(Organism(name=f"Species {number}") for number in range(30))

    with django_assert_num_queries(len(few)):
        response = client.get(ENTER_URL)
    assert "Species 29" in response.content.decode()


# A reviewer's mode.


@pytest.fixture
def entered(human, curator):
    return enter(curator).interaction


def test_a_reviewer_sets_the_mode_on_the_workspace_and_hands_it_back_to_the_rule(entered, reviewer):
    client = signed_in(reviewer)
    url = f"/curation/interaction/{entered.pk}/"
    assert "Set the mode" in client.get(url).content.decode()

    response = client.post(url + "mode/", {"mode": "repression", "reason": "Figure 3 shows it.", "version": 1})

    assert response.status_code == 302
    entered.refresh_from_db()
    assert (entered.mode, entered.mode_decision, entered.version) == (Mode.REPRESSION, ModeDecision.REVIEWER, 2)
    event = entered.curation_events.first()
    assert (event.action, event.actor) == (Action.SET_MODE, reviewer)
    assert "Figure 3 shows it." in event.reason
    assert entered.history.latest().history_user == reviewer
    page = client.get(url).content.decode()
    assert "set by a reviewer" in page
    client.post(url + "mode/", {"mode": "", "reason": "Let the papers decide.", "version": 2})
    entered.refresh_from_db()
    assert (entered.mode, entered.mode_decision) == (Mode.ACTIVATION, ModeDecision.PUBLICATIONS)


def test_a_reviewers_mode_outlives_new_publications(entered, reviewer, curator):
    literature.set_mode(entered, reviewer, Mode.REPRESSION, "Read the paper.", version=1)
    enter(curator, publications=[PublicationRead(999, Mode.ACTIVATION, "Activates.")])

    entered.refresh_from_db()
    assert (entered.mode, entered.mode_decision) == (Mode.REPRESSION, ModeDecision.REVIEWER)


def test_the_api_sets_the_mode_for_a_reviewer_and_refuses_a_curator(entered, reviewer, curator):
    url = f"/api/interactions/{entered.pk}/mode/"

    refused = token_client(curator).post(url, {"mode": "dual", "reason": "r", "version": 1}, format="json")
    done = token_client(reviewer).post(url, {"mode": "dual", "reason": "Both shown.", "version": 1}, format="json")

    assert refused.status_code == 403
    assert refused.json()["detail"] == "Only a reviewer may set the mode of an interaction."
    assert done.status_code == 200
    assert done.json()["interaction"]["mode"] == "dual"
    assert done.json()["interaction"]["mode_decision"] == "reviewer"
    assert done.json()["event"]["action"] == "set_mode"
    missing_reason = token_client(reviewer).post(url, {"mode": "dual", "version": 2}, format="json")
    assert missing_reason.status_code == 400
    assert "reason" in missing_reason.json()["detail"]


def test_curators_get_no_mode_form_and_cannot_post_one(entered, curator):
    client = signed_in(curator)

    assert "Set the mode" not in client.get(f"/curation/interaction/{entered.pk}/").content.decode()
    response = client.post(f"/curation/interaction/{entered.pk}/mode/", {"mode": "dual", "reason": "r", "version": 1})
    assert response.status_code == 403
    entered.refresh_from_db()
    assert entered.mode_decision == ModeDecision.PUBLICATIONS


def test_a_mode_on_an_old_version_is_refused(entered, reviewer, curator):
    enter(curator, publications=[PublicationRead(999, Mode.REPRESSION, "Represses.")])  # now version 2

    form = signed_in(reviewer).post(
        f"/curation/interaction/{entered.pk}/mode/", {"mode": "activation", "reason": "r", "version": 1}
    )
    api = token_client(reviewer).post(
        f"/api/interactions/{entered.pk}/mode/",
        {"mode": "activation", "reason": "r", "version": 1},
        format="json",
    )

    assert form.status_code == 409
    assert "Someone else changed this interaction" in form.content.decode()
    assert api.status_code == 409
    entered.refresh_from_db()
    assert entered.mode_decision == ModeDecision.PUBLICATIONS


def test_the_workspace_shows_mode_confidence_and_statements_with_the_same_queries_for_more(
    entered, reviewer, django_assert_num_queries
):
    client = signed_in(reviewer)
    url = f"/curation/interaction/{entered.pk}/"
    client.get(url)  # the first request of a session reads what later ones find cached
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    Publication.objects.bulk_create(Publication(pmid=pmid) for pmid in range(1, 6))
    portal = SourceDatabase.objects.portal()
    Statement.objects.bulk_create(
        Statement(
            interaction=entered, publication_id=pmid, source=portal, mode=Mode.REPRESSION, sentence=f"Sentence {pmid}."
        )
        for pmid in range(1, 6)
    )

    with django_assert_num_queries(len(few)):
        page = client.get(url).content.decode()
    assert "Sentence 5." in page
    assert "repression" in page
    assert settings.PORTAL_NAME in page
