"""The curator area as curators and reviewers use it: sign-in, dashboard, queue, workspace."""

import re
from dataclasses import dataclass
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from curation import workflow
from curation.models import Comment, CurationEvent, PendingSourceChange, ProblemReport
from proteins.models import GeneId, Interaction, Organism, Protein, Publication, SourceDatabase

pytestmark = pytest.mark.django_db

Status = Interaction.Status
LOGIN = "/curation/login/"


# Small factories: proteins, interactions, people.


def protein(accession, gene_name, organism="Homo sapiens"):
    return Protein.objects.create(
        accession=accession, gene_name=gene_name, organism=Organism.objects.get(name=organism)
    )


def interaction(tf, target, *, status=Status.UNREVIEWED, sources=("GTRD",), small_scale=False, pmids=()):
    row = Interaction.objects.create(tf=tf, target=target, organism=tf.organism, status=status, small_scale=small_scale)
    row.source_databases.set([SourceDatabase.objects.get_or_create(name=name)[0] for name in sources])
    Publication.objects.bulk_create([Publication(pmid=pmid) for pmid in pmids], ignore_conflicts=True)
    row.publications.set(pmids)
    return Interaction.objects.get(pk=row.pk)


def member(username, *groups, **flags):
    user = User.objects.create_user(username, password="a long demo password", **flags)
    user.groups.set(Group.objects.filter(name__in=groups))
    return User.objects.get(pk=user.pk)  # fresh: permissions are cached per instance


def signed_in(user, **options):
    client = Client(**options)
    client.force_login(user)
    return client


@pytest.fixture
def people():
    return {
        "curator": member("cora", "curator"),
        "reviewer": member("rex", "reviewer"),
        "other_reviewer": member("rita", "reviewer"),
        "no_role": member("vic"),
        "superuser": member("ada", is_staff=True, is_superuser=True),
    }


@pytest.fixture
def pair():
    """Two proteins of Homo sapiens and the interaction between them."""
    tp53, bax = protein("P04637", "TP53"), protein("Q07812", "BAX")
    return interaction(tp53, bax, sources=("GTRD", "TRRUST"), pmids=(9111345,))


def workspace_url(row):
    return reverse("curation:workspace", args=[row.pk])


def act(client, row, action, reason="", version=None, **options):
    url = reverse(f"curation:{action}", args=[row.pk])
    return client.post(url, {"version": row.version if version is None else version, "reason": reason}, **options)


def edit(client, row, version, sources="GTRD", methods="", pmids="", small_scale=False, reason=""):
    data = {"version": version, "source_databases": sources, "detection_methods": methods, "pmids": pmids}
    data["reason"] = reason
    if small_scale:
        data["small_scale"] = "on"
    return client.post(reverse("curation:edit_evidence", args=[row.pk]), data)


def status_of(row):
    return Interaction.objects.get(pk=row.pk).status


def text_of(response):
    """The page's visible text, tags removed and spaces collapsed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&gt;", ">").replace("&#x27;", "'")


def message_texts(response):
    return [str(message) for message in response.context["messages"]] if response.context else []


# Sign-in and the header.


def test_login_page_signs_a_curator_in_and_sends_them_to_the_dashboard(people):
    client = Client()
    page = client.get(LOGIN)
    assert page.status_code == 200
    assert 'name="username"' in page.content.decode()

    response = client.post(LOGIN, {"username": "cora", "password": "a long demo password"})

    assert response.status_code == 302
    assert response["Location"] == reverse("curation:dashboard")
    assert client.get(reverse("curation:dashboard")).status_code == 200


def test_login_with_a_wrong_password_says_so(people):
    response = Client().post(LOGIN, {"username": "cora", "password": "wrong"})

    assert response.status_code == 200
    assert "Please enter a correct username and password" in text_of(response)


def test_login_returns_to_the_page_asked_for(people, pair):
    client = Client()
    asked = client.get(workspace_url(pair))
    assert asked["Location"] == f"{LOGIN}?next={workspace_url(pair)}"

    response = client.post(
        f"{LOGIN}?next={workspace_url(pair)}",
        {"username": "cora", "password": "a long demo password", "next": workspace_url(pair)},
    )

    assert response["Location"] == workspace_url(pair)


def test_logout_is_a_post_and_ends_the_session(people):
    client = signed_in(people["curator"])

    assert client.get("/curation/logout/").status_code == 405
    response = client.post("/curation/logout/")

    assert response.status_code == 302
    assert client.get(reverse("curation:dashboard"))["Location"].startswith(LOGIN)


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        (None, ["Log in"], ["Curation", "Log out"]),
        ("no_role", ["Log out"], ["Curation", "Log in"]),
        ("curator", ["Curation", "Log out"], ["Log in"]),
        ("reviewer", ["Curation", "Log out"], ["Log in"]),
    ],
)
def test_header_links_to_the_curator_area_and_to_login_or_logout(people, role, shown, hidden):
    client = signed_in(people[role]) if role else Client()
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', client.get("/").content.decode(), re.S).group(1)
    words = re.sub(r"<[^>]+>", " ", nav)
    for text in shown:
        assert text in words
    for text in hidden:
        assert text not in words


# The permission matrix: who may open each page and do each act.


@dataclass
class Setting:
    """What one act of the matrix works on."""

    row: Interaction
    decided: Interaction  # an approved interaction, for reopen
    change: PendingSourceChange


@pytest.fixture
def setting(pair):
    tf = Protein.objects.get(accession="P04637")
    decided = interaction(tf, protein("P10415", "BCL2"), status=Status.APPROVED)
    change = PendingSourceChange.objects.create(interaction=pair, source_databases=["ReMap"])
    return Setting(pair, decided, change)


def evidence_source_names(row):
    return set(Interaction.objects.get(pk=row.pk).source_databases.values_list("name", flat=True))


# act -> (how to do it, how to tell it was done); GET pages are "done" when they answer 200.
MATRIX = {
    "dashboard": (lambda client, s: client.get(reverse("curation:dashboard")), None),
    "queue": (lambda client, s: client.get(reverse("curation:queue")), None),
    "workspace": (lambda client, s: client.get(workspace_url(s.row)), None),
    "flag": (lambda client, s: act(client, s.row, "flag", "doubtful"), lambda s: status_of(s.row) == Status.FLAGGED),
    "approve": (lambda client, s: act(client, s.row, "approve"), lambda s: status_of(s.row) == Status.APPROVED),
    "reject": (lambda client, s: act(client, s.row, "reject", "no"), lambda s: status_of(s.row) == Status.REJECTED),
    "reopen": (
        lambda client, s: act(client, s.decided, "reopen", "new data"),
        lambda s: status_of(s.decided) == Status.FLAGGED,
    ),
    "edit_evidence": (
        lambda client, s: edit(client, s.row, s.row.version, sources="ReMap"),
        lambda s: evidence_source_names(s.row) == {"ReMap"},
    ),
    "add_comment": (
        lambda client, s: client.post(reverse("curation:add_comment", args=[s.row.pk]), {"text": "see PMID 1"}),
        lambda s: Comment.objects.filter(interaction=s.row).exists(),
    ),
    "accept_source": (
        lambda client, s: client.post(reverse("curation:accept_source", args=[s.change.pk])),
        lambda s: evidence_source_names(s.row) == {"GTRD", "TRRUST", "ReMap"},
    ),
    "dismiss_source": (
        lambda client, s: client.post(reverse("curation:dismiss_source", args=[s.change.pk])),
        lambda s: PendingSourceChange.objects.get(pk=s.change.pk).decision == "dismissed",
    ),
    "bulk_flag": (
        lambda client, s: client.post(
            reverse("curation:queue"), {"action": "flag", "reason": "doubtful", "ids": [s.row.pk]}
        ),
        lambda s: status_of(s.row) == Status.FLAGGED,
    ),
    "bulk_approve": (
        lambda client, s: client.post(reverse("curation:queue"), {"action": "approve", "ids": [s.row.pk]}),
        lambda s: status_of(s.row) == Status.APPROVED,
    ),
}
REVIEWER_ONLY = {"approve", "reject", "reopen", "bulk_approve"}
ALLOWED = {
    "anonymous": set(),
    "no_role": set(),
    "curator": set(MATRIX) - REVIEWER_ONLY,
    "reviewer": set(MATRIX),
    "superuser": set(MATRIX),
}


@pytest.mark.parametrize("role", list(ALLOWED))
@pytest.mark.parametrize("action", list(MATRIX))
def test_permission_matrix(people, setting, role, action):
    client = Client() if role == "anonymous" else signed_in(people[role])
    perform, done = MATRIX[action]

    response = perform(client, setting)

    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(f"{LOGIN}?next=")
    elif action in ALLOWED[role]:
        assert response.status_code == (302 if done else 200)
    else:
        assert response.status_code == 403
        assert "Not allowed" in text_of(response)
    if done is not None:
        assert done(setting) == (action in ALLOWED[role])


def test_the_403_page_says_why(people, pair):
    response = act(signed_in(people["curator"]), pair, "approve")

    assert response.status_code == 403
    assert "Only a reviewer may approve interactions." in text_of(response)
    no_role = signed_in(people["no_role"]).get(reverse("curation:dashboard"))
    assert "ask a staff admin to give your account a role" in text_of(no_role)


# CSRF: every form of the curator area needs its token.


def csrf_token(client, url):
    page = client.get(url)
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)


@pytest.mark.parametrize("action", ["flag", "edit_evidence", "add_comment", "accept_source", "bulk_flag"])
def test_writes_without_the_csrf_token_are_refused(people, setting, action):
    client = signed_in(people["reviewer"], enforce_csrf_checks=True)
    perform, done = MATRIX[action]

    refused = perform(client, setting)

    assert refused.status_code == 403
    assert "CSRF" in refused.content.decode()
    assert not done(setting)


def test_writes_with_the_csrf_token_of_the_page_succeed(people, setting):
    client = signed_in(people["curator"], enforce_csrf_checks=True)
    token = csrf_token(client, workspace_url(setting.row))

    response = client.post(
        reverse("curation:flag", args=[setting.row.pk]),
        {"version": setting.row.version, "reason": "doubtful", "csrfmiddlewaretoken": token},
    )

    assert response.status_code == 302
    assert status_of(setting.row) == Status.FLAGGED


def test_login_and_logout_need_the_csrf_token(people):
    client = Client(enforce_csrf_checks=True)
    assert client.post(LOGIN, {"username": "cora", "password": "a long demo password"}).status_code == 403

    token = csrf_token(client, LOGIN)
    signed = client.post(LOGIN, {"username": "cora", "password": "a long demo password", "csrfmiddlewaretoken": token})
    assert signed.status_code == 302

    assert client.post("/curation/logout/").status_code == 403
    token = csrf_token(client, reverse("curation:dashboard"))
    assert client.post("/curation/logout/", {"csrfmiddlewaretoken": token}).status_code == 302
    assert client.get(reverse("curation:dashboard")).status_code == 302


# Transitions through the workspace.


def test_curator_flags_with_a_reason_and_sees_it_in_the_history(people, pair):
    client = signed_in(people["curator"])

    response = act(client, pair, "flag", "ChIP peak far from the gene")

    assert response["Location"] == workspace_url(pair)
    page = client.get(workspace_url(pair))
    text = text_of(page)
    assert "Flagged" in " ".join(message_texts(page)) or "flagged." in text
    assert status_of(pair) == Status.FLAGGED
    assert "cora flag: unreviewed → flagged ChIP peak far from the gene" in text


@pytest.mark.parametrize(("action", "role"), [("flag", "curator"), ("reject", "reviewer"), ("reopen", "reviewer")])
def test_flag_reject_and_reopen_without_a_reason_are_refused_on_the_form(people, pair, action, role):
    if action == "reopen":
        workflow.approve(pair, people["other_reviewer"])

    response = act(signed_in(people[role]), pair, action, reason="   ")

    assert response.status_code == 400
    assert f"A reason is required to {action} an interaction." in text_of(response)
    assert not CurationEvent.objects.filter(action=action).exists()


def test_reviewer_approves_rejects_and_reopens(people, pair, setting):
    reviewer = signed_in(people["reviewer"])
    other = interaction(Protein.objects.get(accession="P04637"), protein("Q16548", "BCL2A1"))
    workflow.flag(other, people["curator"], "doubtful")

    assert act(reviewer, pair, "approve").status_code == 302
    assert act(reviewer, other, "reject", "no binding motif").status_code == 302
    assert act(reviewer, setting.decided, "reopen", "new ChIP-seq").status_code == 302

    assert (status_of(pair), status_of(other), status_of(setting.decided)) == (
        Status.APPROVED,
        Status.REJECTED,
        Status.FLAGGED,
    )
    events = CurationEvent.objects.filter(actor=people["reviewer"]).values_list("action", "from_status", "to_status")
    assert set(events) == {
        ("approve", "unreviewed", "approved"),
        ("reject", "flagged", "rejected"),
        ("reopen", "approved", "flagged"),
    }


@pytest.mark.parametrize(
    ("start", "action", "message"),
    [
        ("approved", "approve", "An approved interaction cannot be approved."),
        ("flagged", "flag", "A flagged interaction cannot be flagged."),
        ("unreviewed", "reopen", "An unreviewed interaction cannot be reopened."),
    ],
)
def test_transitions_outside_the_state_machine_are_refused_with_the_rule(people, pair, start, action, message):
    Interaction.objects.filter(pk=pair.pk).update(status=start)
    pair.refresh_from_db()

    response = act(signed_in(people["reviewer"]), pair, action, "because")

    assert response.status_code == 400
    assert message in text_of(response)
    assert status_of(pair) == start


def test_a_reviewer_who_edited_last_cannot_approve_and_sees_why(people, pair):
    reviewer = signed_in(people["reviewer"])
    assert edit(reviewer, pair, pair.version, sources="GTRD\nReMap", reason="ReMap peak").status_code == 302
    pair.refresh_from_db()

    page = reviewer.get(workspace_url(pair))
    assert f'action="/curation/interaction/{pair.pk}/approve/"' not in page.content.decode()
    assert "You edited this interaction last: another reviewer must approve it." in text_of(page)
    refused = act(reviewer, pair, "approve")
    assert refused.status_code == 403
    assert "another reviewer must approve it" in text_of(refused)
    assert status_of(pair) == Status.UNREVIEWED

    assert act(signed_in(people["other_reviewer"]), pair, "approve").status_code == 302
    assert status_of(pair) == Status.APPROVED


def test_workspace_offers_only_the_acts_the_user_may_do(people, pair):
    curator_page = signed_in(people["curator"]).get(workspace_url(pair)).content.decode()
    reviewer_page = signed_in(people["reviewer"]).get(workspace_url(pair)).content.decode()

    def buttons(html):
        return set(re.findall(r'action="/curation/interaction/\d+/(flag|approve|reject|reopen)/"', html))

    assert buttons(curator_page) == {"flag"}
    assert buttons(reviewer_page) == {"flag", "approve", "reject"}


# Editing evidence, and two people editing at once.


def test_evidence_edit_saves_lists_pubmed_ids_and_the_small_scale_flag(people, pair):
    client = signed_in(people["curator"])

    response = edit(
        client,
        pair,
        pair.version,
        sources="GTRD, ReMap\nTRRUST",
        methods="chromatin immunoprecipitation assay\nDAP-seq",
        pmids="9111345, PMID:26578589 27924024",
        small_scale=True,
        reason="checked the papers",
    )

    assert response.status_code == 302
    pair.refresh_from_db()
    assert evidence_source_names(pair) == {"GTRD", "ReMap", "TRRUST"}
    assert set(pair.detection_methods.values_list("name", flat=True)) == {
        "chromatin immunoprecipitation assay",
        "DAP-seq",
    }
    assert set(pair.publications.values_list("pmid", flat=True)) == {9111345, 26578589, 27924024}
    assert (pair.small_scale, pair.last_edited_by, pair.version) == (True, people["curator"], 2)
    history = text_of(client.get(workspace_url(pair)))
    assert "cora edit evidence checked the papers" in history
    assert "source databases : added ReMap" in history
    assert "publications : added PMID 26578589, PMID 27924024" in history


def test_an_evidence_edit_of_an_approved_interaction_sends_it_back_to_flagged_with_the_reason(people, pair):
    workflow.approve(pair, people["reviewer"])
    pair.refresh_from_db()

    response = edit(signed_in(people["curator"]), pair, pair.version, sources="GTRD", reason="TRRUST withdrew it")

    assert response.status_code == 302
    event = pair.curation_events.first()
    assert (event.actor, event.action, event.from_status, event.to_status, event.reason) == (
        people["curator"],
        CurationEvent.Action.EDIT,
        Status.APPROVED,
        Status.FLAGGED,
        "TRRUST withdrew it",
    )
    assert status_of(pair) == Status.FLAGGED
    public = Client().get(pair.get_absolute_url())
    assert "This interaction is under review" in text_of(public)
    assert "Curation status flagged" in text_of(public)


def test_saving_an_approved_interactions_evidence_unchanged_keeps_it_approved_and_says_so(people, pair):
    workflow.approve(pair, people["reviewer"])
    pair.refresh_from_db()
    sources = ";".join(pair.source_databases.values_list("name", flat=True)).upper()
    methods = ";".join(pair.detection_methods.values_list("name", flat=True))
    pmids = " ".join(str(pmid) for pmid in pair.publications.values_list("pmid", flat=True))

    response = edit(
        signed_in(people["curator"]), pair, pair.version, sources, methods, pmids, pair.small_scale, reason="looked"
    )

    assert "The evidence is as it was: nothing to save." in text_of(response)
    assert status_of(pair) == Status.APPROVED
    assert pair.curation_events.filter(action=CurationEvent.Action.EDIT).count() == 0


def test_an_evidence_edit_of_a_rejected_interaction_makes_it_public_again_under_review(people, pair):
    workflow.reject(pair, people["reviewer"], "no binding site")
    pair.refresh_from_db()
    assert Client().get(pair.get_absolute_url()).status_code == 404

    edit(signed_in(people["curator"]), pair, pair.version, sources="GTRD", pmids="9111345", reason="new ChIP-seq")

    public = Client().get(pair.get_absolute_url())
    assert public.status_code == 200
    assert "This interaction is under review" in text_of(public)
    assert (Protein.objects.get(accession="Q07812").tf_count, Protein.objects.get(accession="P04637").target_count) == (
        1,
        1,
    )
    event = pair.curation_events.first()
    assert (event.from_status, event.to_status, event.reason) == (Status.REJECTED, Status.FLAGGED, "new ChIP-seq")


def test_the_editor_of_an_approved_interaction_cannot_approve_it_again(people, pair):
    workflow.approve(pair, people["other_reviewer"])
    pair.refresh_from_db()
    reviewer = signed_in(people["reviewer"])
    assert edit(reviewer, pair, pair.version, sources="GTRD\nReMap", reason="ReMap peak").status_code == 302
    pair.refresh_from_db()

    refused = act(reviewer, pair, "approve")

    assert refused.status_code == 403
    assert "You edited this interaction last: another reviewer must approve it." in text_of(refused)
    assert status_of(pair) == Status.FLAGGED
    assert act(signed_in(people["other_reviewer"]), pair, "approve").status_code == 302
    assert status_of(pair) == Status.APPROVED


def test_an_evidence_edit_of_an_approved_interaction_needs_a_reason(people, pair):
    workflow.approve(pair, people["reviewer"])
    pair.refresh_from_db()

    response = edit(signed_in(people["curator"]), pair, pair.version, sources="GTRD")

    assert response.status_code == 400
    assert (
        "An approved interaction goes back to flagged when its evidence changes: give the reviewers a reason."
        in text_of(response)
    )
    assert "This interaction is approved: saving other evidence sends it back to flagged" in text_of(response)
    pair.refresh_from_db()
    assert (pair.status, pair.last_edited_by, evidence_source_names(pair)) == (
        Status.APPROVED,
        None,
        {"GTRD", "TRRUST"},
    )


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("pmids", "12ab", "Not a PubMed id: 12ab"),
        ("pmids", "99999999999", "Not a PubMed id: 99999999999"),
        ("sources", "x" * 101, "Names are at most 100 characters"),
        ("version", "abc", "The form lacked the version you saw"),
    ],
)
def test_invalid_evidence_is_a_form_error_and_changes_nothing(people, pair, field, value, error):
    arguments = {"version": pair.version, field: value}
    version = arguments.pop("version")

    response = edit(signed_in(people["curator"]), pair, version, **arguments)

    assert response.status_code == 400
    assert error in text_of(response)
    assert Interaction.objects.get(pk=pair.pk).version == 1


def test_a_stale_edit_is_refused_and_shows_the_current_values(people, pair):
    curator, reviewer = signed_in(people["curator"]), signed_in(people["reviewer"])
    seen_by_both = pair.version
    assert curator.get(workspace_url(pair)).status_code == reviewer.get(workspace_url(pair)).status_code == 200

    assert edit(curator, pair, seen_by_both, sources="ReMap", reason="ReMap only").status_code == 302
    response = edit(reviewer, pair, seen_by_both, sources="HTRI", pmids="123", reason="HTRI")

    assert response.status_code == 409
    text = text_of(response)
    assert (
        "Someone else changed this interaction (now version 2, status unreviewed) since you opened version 1." in text
    )
    assert "Nothing was saved" in text
    current = re.search(r'id="current-sources">([^<]*)<', response.content.decode()).group(1)
    assert current == "ReMap"
    assert 'name="version" value="2"' in response.content.decode()
    assert "Your changes (not saved)" in text and "HTRI" in text
    assert evidence_source_names(pair) == {"ReMap"}
    assert Interaction.objects.get(pk=pair.pk).version == 2


def test_a_stale_transition_is_refused_and_nothing_is_overwritten(people, pair):
    seen_by_both = pair.version
    assert act(signed_in(people["curator"]), pair, "flag", "doubtful", version=seen_by_both).status_code == 302

    response = act(signed_in(people["reviewer"]), pair, "approve", version=seen_by_both)

    assert response.status_code == 409
    assert "Someone else changed this interaction" in text_of(response)
    assert 'id="current-status">flagged<' in response.content.decode()
    assert status_of(pair) == Status.FLAGGED


# Comments, source changes, history.


def test_comments_are_listed_in_the_history_and_empty_ones_refused(people, pair):
    client = signed_in(people["curator"])

    assert client.post(reverse("curation:add_comment", args=[pair.pk]), {"text": "see PMID 9733765"}).status_code == 302
    empty = client.post(reverse("curation:add_comment", args=[pair.pk]), {"text": "   "})

    assert empty.status_code == 400
    assert "This field is required." in text_of(empty)
    assert "cora comment see PMID 9733765" in text_of(client.get(workspace_url(pair)))


def test_history_merges_edits_events_and_comments_newest_first(people, pair):
    curator = signed_in(people["curator"])
    act(curator, pair, "flag", "doubtful")
    pair.refresh_from_db()
    edit(curator, pair, pair.version, sources="GTRD\nReMap", pmids="9111345", small_scale=True, reason="ReMap peak")
    curator.post(reverse("curation:add_comment", args=[pair.pk]), {"text": "asked the authors"})
    pair.refresh_from_db()
    act(signed_in(people["reviewer"]), pair, "approve")

    text = text_of(curator.get(workspace_url(pair)))
    history = text[text.index("History") :]
    order = [
        history.index("rex approve: flagged → approved"),
        history.index("cora comment asked the authors"),
        history.index("cora edit evidence ReMap peak"),
        history.index("cora flag: unreviewed → flagged doubtful"),
    ]
    assert order == sorted(order)
    assert "source databases : added ReMap; removed TRRUST" in history
    assert "small-scale evidence : no → yes" in history
    assert "last edited by : - → cora" in history


def test_history_shows_changes_made_outside_the_workflow(people, pair):
    pair._history_user = people["superuser"]
    pair._change_reason = "fixed in the admin"
    pair.small_scale = True
    pair.save()

    history = text_of(signed_in(people["curator"]).get(workspace_url(pair)))

    assert "ada changed fixed in the admin small-scale evidence : no → yes" in history


def test_dashboard_counts_statuses_lists_flags_my_acts_and_source_changes(people, setting):
    curator = signed_in(people["curator"])
    act(curator, setting.row, "flag", "ChIP peak far away")

    text = text_of(curator.get(reverse("curation:dashboard")))

    assert "0 unreviewed 1 flagged 1 approved 0 rejected" in text
    assert "cora TP53 → BAX flag (unreviewed → flagged) ChIP peak far away" in text
    assert "adds sources: ReMap" in text


def test_dashboard_counts_in_one_query(people, setting, django_assert_num_queries):
    client = signed_in(people["curator"])
    client.get(reverse("curation:dashboard"))
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("curation:dashboard"))
    counting = [
        query["sql"] for query in queries if "COUNT(" in query["sql"] and "proteins_interaction" in query["sql"]
    ]
    assert len(counting) == 1


def test_accepting_a_source_change_from_the_dashboard_applies_it_and_returns(people, setting):
    client = signed_in(people["curator"])

    response = client.post(
        reverse("curation:accept_source", args=[setting.change.pk]), {"next": reverse("curation:dashboard")}
    )

    assert response["Location"] == reverse("curation:dashboard")
    assert evidence_source_names(setting.row) == {"GTRD", "TRRUST", "ReMap"}
    again = client.post(reverse("curation:dismiss_source", args=[setting.change.pk]), follow=True)
    assert "This source change was already accepted." in text_of(again)


def test_a_foreign_next_address_is_not_followed(people, setting):
    response = signed_in(people["curator"]).post(
        reverse("curation:dismiss_source", args=[setting.change.pk]), {"next": "https://evil.example/"}
    )

    assert response["Location"] == reverse("curation:dashboard")


def test_missing_interactions_and_source_changes_are_404(people):
    client = signed_in(people["reviewer"])

    assert client.get("/curation/interaction/999999/").status_code == 404
    assert client.post("/curation/interaction/999999/flag/", {"version": 1, "reason": "x"}).status_code == 404
    assert client.post("/curation/source-change/999999/accept/").status_code == 404


# Bulk acts from the queue.


@pytest.fixture
def several(pair):
    tp53 = Protein.objects.get(accession="P04637")
    names = ["BCL2", "MDM2", "CDKN1A", "GADD45A"]
    rows = [interaction(tp53, protein(f"P1{index:04d}", name)) for index, name in enumerate(names)]
    return [pair, *rows]


def test_bulk_approve_reports_what_was_done_and_what_was_refused(people, several):
    Interaction.objects.filter(pk=several[0].pk).update(status=Status.REJECTED)
    workflow.edit_evidence(
        several[1], people["reviewer"], 1, source_databases=["GTRD"], detection_methods=[], pmids=[1], small_scale=False
    )
    client = signed_in(people["reviewer"])

    response = client.post(
        reverse("curation:queue") + "?status=unreviewed",
        {"action": "approve", "reason": "", "ids": [row.pk for row in several]},
    )

    assert response["Location"] == reverse("curation:queue") + "?status=unreviewed"
    messages = message_texts(client.get(response["Location"]))
    assert messages == [
        "Approved 3 interactions: TP53 → CDKN1A, TP53 → GADD45A, TP53 → MDM2.".replace(
            "TP53 → CDKN1A, TP53 → GADD45A, TP53 → MDM2",
            ", ".join(f"TP53 → {n}" for n in ["MDM2", "CDKN1A", "GADD45A"]),
        ),
        "Not approved, 1 interaction: A rejected interaction cannot be approved. (TP53 → BAX)",
        "Not approved, 1 interaction: You edited this interaction last: another reviewer must approve it. "
        "(TP53 → BCL2)",
    ]
    statuses = dict(Interaction.objects.filter(pk__in=[row.pk for row in several]).values_list("pk", "status"))
    assert [statuses[row.pk] for row in several] == ["rejected", "unreviewed", "approved", "approved", "approved"]


def test_bulk_flag_needs_a_reason_for_each_and_changes_nothing_without(people, several):
    client = signed_in(people["curator"])

    response = client.post(
        reverse("curation:queue"), {"action": "flag", "ids": [row.pk for row in several]}, follow=True
    )

    assert message_texts(response) == [
        "Not flagged, 5 interactions: A reason is required to flag an interaction. "
        "(TP53 → BAX, TP53 → BCL2, TP53 → MDM2, TP53 → CDKN1A, TP53 → GADD45A)"
    ]
    assert not Interaction.objects.filter(status=Status.FLAGGED).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "flag", "reason": "x"}, "Tick the interactions to act on."),
        ({"action": "flag", "reason": "x", "ids": ["1", "two"]}, "Interactions are chosen by their numbers."),
        ({"action": "delete", "ids": ["1"]}, "Select a valid choice. delete is not one of the available choices."),
    ],
)
def test_bulk_form_errors_are_messages_not_server_errors(people, several, data, message):
    response = signed_in(people["reviewer"]).post(reverse("curation:queue"), data, follow=True)

    assert response.status_code == 200
    assert message in message_texts(response)


def test_bulk_act_on_a_deleted_interaction_says_so(people, several):
    gone = several[-1].pk
    Interaction.objects.filter(pk=gone).delete()

    response = signed_in(people["reviewer"]).post(
        reverse("curation:queue"), {"action": "approve", "ids": [several[0].pk, gone]}, follow=True
    )

    assert message_texts(response) == [
        "Approved 1 interaction: TP53 → BAX.",
        "Not found (deleted meanwhile): 1 interaction.",
    ]


# The queue: filters, sorts and pages return exactly the matching rows, in a constant number of queries.


@pytest.fixture
def catalogue(people):
    """Twelve interactions in two organisms, with every status, two sources, small-scale or not, flags."""
    human = [protein(f"P2{index:04d}", name) for index, name in enumerate(["SOX2", "KLF4", "MYC", "POU5F1"])]
    mouse = [protein(f"Q3{index:04d}", name, "Mus musculus") for index, name in enumerate(["Sox2", "Klf4", "Myc"])]
    rows = []
    plan = [
        (human, 0, 1, Status.UNREVIEWED, ("GTRD",), False),
        (human, 0, 2, Status.FLAGGED, ("TRRUST",), True),
        (human, 0, 3, Status.APPROVED, ("GTRD", "TRRUST"), False),
        (human, 1, 0, Status.REJECTED, ("GTRD",), False),
        (human, 1, 2, Status.UNREVIEWED, ("ReMap",), True),
        (human, 2, 3, Status.FLAGGED, ("GTRD",), False),
        (human, 3, 0, Status.UNREVIEWED, ("TRRUST",), False),
        (human, 3, 1, Status.APPROVED, ("GTRD",), True),
        (mouse, 0, 1, Status.UNREVIEWED, ("GTRD",), False),
        (mouse, 1, 2, Status.FLAGGED, ("TRRUST",), False),
        (mouse, 2, 0, Status.UNREVIEWED, ("GTRD",), True),
        (mouse, 2, 1, Status.APPROVED, ("ReMap",), False),
    ]
    start = timezone.now() - timedelta(days=30)
    for position, (proteins, tf, target, status, sources, small_scale) in enumerate(plan):
        row = interaction(proteins[tf], proteins[target], status=status, sources=sources, small_scale=small_scale)
        # Distinct last changes, not in creation order, so sorts are told apart.
        Interaction.objects.filter(pk=row.pk).update(updated_at=start + timedelta(hours=(position * 5) % 12))
        rows.append(Interaction.objects.select_related("tf", "target", "organism").get(pk=row.pk))
    for row, who in ((rows[1], "curator"), (rows[5], "reviewer"), (rows[9], "curator")):
        CurationEvent.objects.create(
            interaction=row, actor=people[who], action="flag", from_status="unreviewed", to_status="flagged"
        )
    return rows


def shown_ids(response):
    assert response.status_code == 200
    return [int(pk) for pk in re.findall(r'<tr data-id="(\d+)"', response.content.decode())]


def queue(client, **params):
    return client.get(reverse("curation:queue"), params)


def newest_first(rows):
    return [row.pk for row in sorted(rows, key=lambda row: (row.updated_at, row.pk), reverse=True)]


@pytest.mark.parametrize(
    ("params", "wanted"),
    [
        ({}, lambda row: True),
        ({"status": "flagged"}, lambda row: row.status == "flagged"),
        ({"organism": "mouse"}, lambda row: row.organism.name == "Mus musculus"),
        ({"tf": "sox2"}, lambda row: row.tf.gene_name.lower() == "sox2"),
        ({"tf": "p20003"}, lambda row: row.tf.accession == "P20003"),
        ({"target": "MYC"}, lambda row: row.target.gene_name.lower() == "myc"),
        ({"source": "TRRUST"}, lambda row: "TRRUST" in evidence_source_names(row)),
        ({"small_scale": "yes"}, lambda row: row.small_scale),
        ({"small_scale": "no"}, lambda row: not row.small_scale),
        ({"flagged_by": "cora"}, lambda row: row.status == "flagged" and row.tf.gene_name != "MYC"),
        (
            {"status": "unreviewed", "organism": "human", "small_scale": "no", "source": "TRRUST"},
            lambda row: row.tf.gene_name == "POU5F1" and row.target.gene_name == "SOX2",
        ),
    ],
)
def test_queue_filters_return_exactly_the_matching_rows(people, catalogue, params, wanted):
    if params.get("organism"):
        name = {"mouse": "Mus musculus", "human": "Homo sapiens"}[params["organism"]]
        params["organism"] = Organism.objects.get(name=name).pk

    shown = shown_ids(queue(signed_in(people["curator"]), **params))

    assert shown == newest_first([row for row in catalogue if wanted(row)])
    assert shown


def test_queue_finds_a_tf_by_its_ncbi_gene_id(people, catalogue):
    sox2 = Protein.objects.get(accession="P20000")
    GeneId.objects.create(protein=sox2, gene_id=6657)

    shown = shown_ids(queue(signed_in(people["curator"]), tf="6657"))

    assert shown == newest_first([row for row in catalogue if row.tf == sox2])
    assert shown


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("-updated", None),
        ("updated", lambda row: (row.updated_at, row.pk)),
        ("tf", lambda row: (row.tf.gene_name, row.tf_id, row.target_id)),
        ("target", lambda row: (row.target.gene_name, row.target_id, row.tf_id)),
        ("status", lambda row: (row.status, row.updated_at, row.pk)),
    ],
)
def test_queue_sorts(people, catalogue, sort, key):
    wanted = newest_first(catalogue) if key is None else [row.pk for row in sorted(catalogue, key=key)]

    assert shown_ids(queue(signed_in(people["curator"]), sort=sort)) == wanted


def test_queue_pages_cover_every_row_once_without_counting_them(people, catalogue):
    client = signed_in(people["curator"])
    only = queue(client, per_page=25, sort="tf")
    assert len(shown_ids(only)) == 12
    assert 'rel="next"' not in only.content.decode()
    hub, *targets = [protein(f"O4{index:04d}", f"ZNF{index}") for index in range(50)]
    for target in targets:
        interaction(hub, target)

    first, second, third = (queue(client, per_page=25, sort="tf", page=number) for number in (1, 2, 3))

    assert len(shown_ids(first)) == len(shown_ids(second)) == 25
    ids = shown_ids(first) + shown_ids(second) + shown_ids(third)
    assert sorted(ids) == sorted(Interaction.objects.values_list("pk", flat=True))
    assert 'rel="next"' in first.content.decode() and 'rel="prev"' not in first.content.decode()
    assert 'rel="next"' not in third.content.decode() and 'rel="prev"' in third.content.decode()
    assert "Rows 51 to 61" in text_of(third)


@pytest.mark.parametrize(("params", "size"), [({}, 50), ({"per_page": 25}, 25), ({"per_page": 50}, 50)])
def test_queue_says_which_rows_it_shows_and_its_box_the_page_size(people, params, size):
    hub = protein("P40000", "HUB")
    for index in range(60):
        interaction(hub, protein(f"O4{index:04d}", f"ZNF{index}"))

    response = queue(signed_in(people["curator"]), **params)

    assert f"Rows 1 to {size} (more on the next page)." in text_of(response)
    assert len(shown_ids(response)) == size
    box = re.search(r'<select name="per_page".*?</select>', response.content.decode(), flags=re.S).group()
    assert re.findall(r'<option value="(\d+)" selected>', box) == [str(size)]


def test_queue_never_counts_all_interactions(people, catalogue):
    client = signed_in(people["curator"])
    with CaptureQueriesContext(connection) as queries:
        queue(client, status="flagged")

    # (The database cache counts its own rows when it stores the menu.)
    assert not [query["sql"] for query in queries if "COUNT(" in query["sql"] and "django_cache" not in query["sql"]]


def test_queue_makes_as_many_queries_for_200_rows_as_for_25(people, django_assert_num_queries):
    tfs = [protein(f"P5{index:04d}", f"TF{index}") for index in range(15)]
    targets = [protein(f"Q5{index:04d}", f"GENE{index}") for index in range(15)]
    for tf in tfs:
        for target in targets:
            interaction(tf, target, sources=("GTRD", "ReMap"))
    client = signed_in(people["curator"])
    queue(client)  # the session's first use

    # session, user, its permissions (2), the source filtered by, the page's ids, its rows, their
    # sources, the organisms and sources the filters offer, the menu from the database cache
    with django_assert_num_queries(11):
        assert len(shown_ids(queue(client, per_page=25, source="GTRD", status="unreviewed"))) == 25
    with django_assert_num_queries(11):
        assert len(shown_ids(queue(client, per_page=200, source="GTRD", status="unreviewed"))) == 200


@pytest.mark.parametrize(
    "params",
    [
        {"status": "nonsense"},
        {"organism": "999999"},
        {"page": "0"},
        {"per_page": "7"},
        {"tf": "BAX\x00"},
        {"sort": "x"},
    ],
)
def test_invalid_queue_parameters_show_the_error_not_a_server_error(people, catalogue, params):
    response = queue(signed_in(people["curator"]), **params)

    assert response.status_code == 200
    assert shown_ids(response) == []
    assert 'class="error"' in response.content.decode()


# The demo accounts.


def test_demo_accounts_are_a_curator_and_a_reviewer_with_printed_random_passwords():
    out = StringIO()
    call_command("demo_accounts", stdout=out)
    first = dict(re.findall(r"user: (\w+)\s+password: (\S+)", out.getvalue()))
    call_command("demo_accounts", stdout=out)
    second = dict(re.findall(r"user: (\w+)\s+password: (\S+)", out.getvalue().split("\n", 3)[-1]))

    assert set(first) == {"admin", "curator", "reviewer"}
    for username, role in (("curator", "curator"), ("reviewer", "reviewer")):
        user = User.objects.get(username=username)
        assert list(user.groups.values_list("name", flat=True)) == [role]
        assert not user.is_staff
        assert user.check_password(second[username])
        assert first[username] != second[username]
    assert User.objects.get(username="reviewer").has_perm("curation.review_interaction")
    assert not User.objects.get(username="curator").has_perm("curation.review_interaction")


def test_bulk_acts_keep_a_history_whose_evidence_diffs_are_true(people, pair):
    reviewer = signed_in(people["reviewer"])
    reviewer.post(reverse("curation:queue"), {"action": "approve", "ids": [pair.pk]})
    pair.refresh_from_db()
    curator = signed_in(people["curator"])
    edited = edit(curator, pair, pair.version, sources="GTRD", pmids="9111345", reason="TRRUST withdrawn")
    assert edited.status_code == 302

    history = text_of(reviewer.get(workspace_url(pair)))

    # Newest first: the edit removed TRRUST and nothing else; the approve changed no evidence.
    assert re.search(
        r"cora edit evidence: approved → flagged TRRUST withdrawn last edited by : - → cora "
        r"source databases : removed TRRUST "
        r"\S+ \S+ rex approve: unreviewed → approved \S+ \S+ \(system\) changed",
        history,
    )
    assert Interaction.history.get(id=pair.pk, history_change_reason="approve").source_databases.count() == 2


# The queue's filters of reports, proposals, confidence and mode.


@pytest.fixture
def graded(catalogue):
    """The catalogue with confidence levels and modes, one proposed interaction, and reports (two open)."""
    levels = "ABCDE"
    modes = ["activation", "repression", "dual", "unknown"]
    for position, row in enumerate(catalogue):
        row.confidence, row.mode = levels[position % 5], modes[position % 4]
        Interaction.objects.filter(pk=row.pk).update(confidence=row.confidence, mode=row.mode)
    catalogue[6].status = Status.PROPOSED
    Interaction.objects.filter(pk=catalogue[6].pk).update(status=Status.PROPOSED)
    for row, state in (
        (catalogue[0], "open"),
        (catalogue[5], "open"),
        (catalogue[5], "open"),
        (catalogue[7], "dismissed"),
    ):
        ProblemReport.objects.create(interaction=row, kind="other", text="Looks wrong.", state=state)
    return catalogue


@pytest.mark.parametrize(
    ("params", "wanted"),
    [
        ({"reported": "on"}, lambda row: True),
        ({"status": "proposed"}, lambda row: row.status == "proposed"),
        ({"confidence": "A,B"}, lambda row: row.confidence in "AB"),
        ({"confidence": ["A", "C"]}, lambda row: row.confidence in "AC"),
        ({"mode": "repression"}, lambda row: row.mode == "repression"),
        (
            {"mode": "dual,unknown", "confidence": "C"},
            lambda row: row.mode in {"dual", "unknown"} and row.confidence == "C",
        ),
        ({"reported": "on", "mode": "activation"}, lambda row: row.mode == "activation"),
    ],
)
def test_queue_filters_reports_proposals_confidence_and_mode(people, graded, params, wanted):
    reported = {graded[0].pk, graded[5].pk}  # with open reports (see ``graded``)
    expected = [row for row in graded if wanted(row) and (row.pk in reported or not params.get("reported"))]

    shown = shown_ids(queue(signed_in(people["curator"]), **params))

    assert shown == newest_first(expected)
    assert shown


@pytest.mark.parametrize("params", [{"confidence": "A,C"}, {"confidence": ["A", "C"]}])
def test_queue_shows_the_confidence_levels_asked_for_ticked_however_they_were_written(people, graded, params):
    page = queue(signed_in(people["curator"]), **params).content.decode()

    ticked = set(re.findall(r'name="confidence" value="([A-E])"[^>]*checked', page))
    assert ticked == {"A", "C"}


@pytest.mark.parametrize("params", [{"confidence": "Z"}, {"confidence": "A,F"}, {"mode": "sideways"}])
def test_unknown_confidence_levels_and_modes_are_errors_on_the_form(people, graded, params):
    response = queue(signed_in(people["curator"]), **params)

    assert shown_ids(response) == []
    assert "Select a valid choice." in text_of(response)


def test_the_new_queue_filters_make_as_many_queries_for_200_rows_as_for_25(people, django_assert_num_queries):
    tfs = [protein(f"P5{index:04d}", f"TF{index}") for index in range(15)]
    targets = [protein(f"Q5{index:04d}", f"GENE{index}") for index in range(15)]
    for tf in tfs:
        for target in targets:
            row = interaction(tf, target)
            ProblemReport.objects.create(interaction=row, kind="other", text="Looks wrong.")
    Interaction.objects.update(confidence="B", mode="activation")
    client = signed_in(people["curator"])
    queue(client)  # the session's first use
    params = {"reported": "on", "confidence": "A,B", "mode": "activation", "status": "unreviewed"}

    # session, user, its permissions (2), the reported interactions' ids, the page's ids, its rows,
    # their sources, the organisms and sources the filters offer, the menu from the database cache
    with django_assert_num_queries(11):
        assert len(shown_ids(queue(client, per_page=25, **params))) == 25
    with django_assert_num_queries(11):
        assert len(shown_ids(queue(client, per_page=200, **params))) == 200
    assert 'rel="next"' in queue(client, per_page=200, **params).content.decode()
