"""The curation API: who may flag, approve, reject, reopen and comment, by token or session, and what is recorded."""

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.urls import resolve, reverse
from django.utils.crypto import get_random_string
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from curation import workflow
from curation.models import Comment, CurationEvent
from proteins.models import Interaction, Organism, Protein

Status = Interaction.Status
ROLES = ["anonymous", "no role", "curator", "reviewer", "superuser"]
TRANSITIONS = {
    # action -> (a state it starts from, the state it leads to)
    "flag": (Status.UNREVIEWED, Status.FLAGGED),
    "approve": (Status.FLAGGED, Status.APPROVED),
    "reject": (Status.FLAGGED, Status.REJECTED),
    "reopen": (Status.REJECTED, Status.FLAGGED),
}
MAY_ACT = {
    "flag": {"curator", "reviewer", "superuser"},
    "approve": {"reviewer", "superuser"},
    "reject": {"reviewer", "superuser"},
    "reopen": {"reviewer", "superuser"},
}
REFUSALS = {
    "flag": "Only a curator may flag interactions.",
    "approve": "Only a reviewer may approve interactions.",
    "reject": "Only a reviewer may reject interactions.",
    "reopen": "Only a reviewer may reopen interactions.",
}


def make_interaction(status=Status.UNREVIEWED, number=1):
    organism = Organism.objects.get(name="Homo sapiens")
    tf, _ = Protein.objects.get_or_create(accession="P04637", defaults={"gene_name": "TP53", "organism": organism})
    target = Protein.objects.create(accession=f"Q{number:05d}", gene_name=f"TARGET{number}", organism=organism)
    return Interaction.objects.create(tf=tf, target=target, organism=organism, status=status)


def make_user(role, name=None):
    """A user with ``role``: "no role", "curator", "reviewer" or "superuser"."""
    name = name or role.replace(" ", "_")
    if role == "superuser":
        return User.objects.create_superuser(name, f"{name}@example.org", None)
    user = User.objects.create_user(name, f"{name}@example.org", None)
    if role in ("curator", "reviewer"):
        user.groups.add(Group.objects.get(name=role))
    return user


def token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def client_for(role):
    return APIClient() if role == "anonymous" else token_client(make_user(role))


def act_url(interaction, action):
    return reverse(f"curation_api:interaction_{action}", args=[interaction.pk])


def comments_url(interaction):
    return reverse("curation_api:interaction_comments", args=[interaction.pk])


def state_url(interaction):
    return reverse("curation_api:interaction_curation", args=[interaction.pk])


def events_url(interaction):
    return reverse("curation_api:interaction_events", args=[interaction.pk])


def act(client, interaction, action, **body):
    return client.post(act_url(interaction, action), body, format="json")


def error_message(response):
    """The message of a JSON error answer."""
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"].endswith(str(body["detail"])) or isinstance(body["detail"], dict)
    return body["detail"]


@pytest.fixture
def reviewer(db):
    return make_user("reviewer")


@pytest.fixture
def curator(db):
    return make_user("curator")


# Addresses: the curation endpoints resolve here, not to the public read API.


@pytest.mark.parametrize(
    "name",
    [
        *[f"interaction_{action}" for action in TRANSITIONS],
        "interaction_curation",
        "interaction_comments",
        "interaction_events",
    ],
)
def test_curation_endpoints_resolve_to_the_curation_api(name):
    path = reverse(f"curation_api:{name}", args=[7])

    assert path == f"/api/interactions/7/{name.removeprefix('interaction_')}/"
    assert resolve(path).namespace == "curation_api"
    assert resolve(path).url_name == name


# The permission matrix: role x endpoint.


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", TRANSITIONS)
def test_transition_is_made_by_the_roles_allowed_and_refused_to_the_others(role, action):
    start, end = TRANSITIONS[action]
    interaction = make_interaction(start)
    client = client_for(role)

    response = act(client, interaction, action, reason="Checked against the ChIP-seq peaks.")

    interaction.refresh_from_db()
    if role in MAY_ACT[action]:
        assert response.status_code == 200
        assert response.json()["interaction"]["status"] == end
        assert response.json()["interaction"]["version"] == 2
        assert response.json()["event"]["action"] == action
        event = CurationEvent.objects.get(interaction=interaction)
        assert (event.actor.username, event.action, event.from_status, event.to_status, event.reason) == (
            role,
            action,
            start,
            end,
            "Checked against the ChIP-seq peaks.",
        )
        assert interaction.status == end
    else:
        assert response.status_code == (401 if role == "anonymous" else 403)
        if role == "anonymous":
            assert response["WWW-Authenticate"] == "Token"
            assert "credentials" in error_message(response).lower()
        else:
            assert error_message(response) == REFUSALS[action]
        assert interaction.status == start
        assert not CurationEvent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_comment_is_written_by_curators_and_reviewers_only(role):
    interaction = make_interaction()

    response = client_for(role).post(comments_url(interaction), {"text": "Same PMID twice?"}, format="json")

    if role in ("curator", "reviewer", "superuser"):
        assert response.status_code == 201
        assert response.json()["text"] == "Same PMID twice?"
        assert response.json()["author"] == role
        assert Comment.objects.get().author.username == role
    else:
        assert response.status_code == (401 if role == "anonymous" else 403)
        if role == "no role":
            assert error_message(response) == "Only curators and reviewers may comment."
        assert not Comment.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("listing", ["comments", "events"])
def test_comments_and_history_are_read_by_curators_and_reviewers_only(role, listing):
    interaction = make_interaction()
    author = make_user("curator", "author")
    workflow.add_comment(interaction, author, "Looks fine.")
    workflow.flag(interaction, author, "Only one high-throughput source.")
    url = comments_url(interaction) if listing == "comments" else events_url(interaction)

    response = client_for(role).get(url)

    if role in ("curator", "reviewer", "superuser"):
        assert response.status_code == 200
        assert len(response.json()) == 1
    else:
        assert response.status_code == (401 if role == "anonymous" else 403)
        if role == "no role":
            assert "Only curators and reviewers may read" in error_message(response)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_curation_state_is_read_by_curators_and_reviewers_only(role):
    interaction = make_interaction(Status.FLAGGED)

    response = client_for(role).get(state_url(interaction))

    if role in ("curator", "reviewer", "superuser"):
        assert response.status_code == 200
        assert response.json() == {
            "id": interaction.pk,
            "tf": "P04637",
            "target": "Q00001",
            "status": "flagged",
            "version": 1,
            "allowed_actions": ["approve", "reject"] if role != "curator" else [],
        }
    else:
        assert response.status_code == (401 if role == "anonymous" else 403)
        if role == "no role":
            assert error_message(response) == "Only curators and reviewers may read the curation state."


# Authentication: token or session with CSRF.


@pytest.mark.django_db
def test_a_wrong_token_is_refused_with_401():
    interaction = make_interaction()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")

    response = act(client, interaction, "flag", reason="doubtful")

    assert response.status_code == 401
    assert error_message(response) == "Invalid token."


@pytest.mark.django_db
def test_session_without_csrf_token_is_refused(curator):
    interaction = make_interaction()
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(curator)

    response = act(client, interaction, "flag", reason="doubtful")

    assert response.status_code == 403
    assert "CSRF" in error_message(response)
    interaction.refresh_from_db()
    assert interaction.status == Status.UNREVIEWED


@pytest.mark.django_db
def test_session_with_csrf_token_flags(curator):
    interaction = make_interaction()
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(curator)
    csrf_token = get_random_string(32)
    client.cookies[settings.CSRF_COOKIE_NAME] = csrf_token

    response = client.post(
        act_url(interaction, "flag"), {"reason": "doubtful"}, format="json", HTTP_X_CSRFTOKEN=csrf_token
    )

    assert response.status_code == 200
    assert response.json()["interaction"]["status"] == Status.FLAGGED


@pytest.mark.django_db
def test_the_token_command_gives_a_token_that_works(curator, capsys):
    interaction = make_interaction()
    call_command("drf_create_token", curator.username)
    key = capsys.readouterr().out.split()[2]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    assert act(client, interaction, "flag", reason="doubtful").status_code == 200


# The state machine through the API.


@pytest.mark.django_db
@pytest.mark.parametrize("start", list(Status))
@pytest.mark.parametrize("action", TRANSITIONS)
def test_each_transition_is_allowed_only_from_its_states(reviewer, action, start):
    interaction = make_interaction(start)

    response = act(token_client(reviewer), interaction, action, reason="reviewed")

    rule = workflow.TRANSITIONS[action]
    interaction.refresh_from_db()
    if start in rule.sources:
        assert response.status_code == 200
        assert interaction.status == rule.target
    else:
        assert response.status_code == 400
        article = "An" if start in (Status.UNREVIEWED, Status.APPROVED) else "A"
        assert error_message(response) == f"{article} {start} interaction cannot be {workflow.past(action)}."
        assert interaction.status == start
        assert interaction.version == 1


@pytest.mark.django_db
def test_the_answer_lists_what_the_user_may_do_next(reviewer):
    interaction = make_interaction()

    response = act(token_client(reviewer), interaction, "flag", reason="doubtful")

    assert sorted(response.json()["interaction"]["allowed_actions"]) == ["approve", "reject"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "start"), [("flag", Status.UNREVIEWED), ("reject", Status.FLAGGED), ("reopen", Status.APPROVED)]
)
@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
def test_reason_is_required_to_flag_reject_and_reopen(reviewer, action, start, body):
    interaction = make_interaction(start)

    response = token_client(reviewer).post(act_url(interaction, action), body, format="json")

    assert response.status_code == 400
    assert error_message(response) == {"reason": [f"A reason is required to {action} an interaction."]}
    assert not CurationEvent.objects.exists()


@pytest.mark.django_db
def test_approve_needs_no_reason(reviewer):
    interaction = make_interaction(Status.FLAGGED)

    response = token_client(reviewer).post(act_url(interaction, "approve"), {}, format="json")

    assert response.status_code == 200
    assert response.json()["event"]["reason"] == ""


@pytest.mark.django_db
def test_reviewer_who_edited_the_evidence_last_cannot_approve_it(reviewer):
    interaction = make_interaction(Status.FLAGGED)
    workflow.edit_evidence(
        interaction,
        reviewer,
        interaction.version,
        source_databases=["TRRUST"],
        detection_methods=["chromatin immunoprecipitation assay"],
        pmids=[9733765],
        small_scale=True,
    )

    own = act(token_client(reviewer), interaction, "approve")
    other = act(token_client(make_user("reviewer", "second_reviewer")), interaction, "approve")

    assert own.status_code == 403
    assert error_message(own) == "You edited this interaction last: another reviewer must approve it."
    assert other.status_code == 200
    assert other.json()["interaction"]["status"] == Status.APPROVED


@pytest.mark.django_db
def test_reviewer_may_reject_their_own_edit(reviewer):
    interaction = make_interaction(Status.FLAGGED)
    workflow.edit_evidence(
        interaction, reviewer, None, source_databases=[], detection_methods=[], pmids=[], small_scale=True
    )

    assert act(token_client(reviewer), interaction, "reject", reason="no evidence left").status_code == 200


# Optimistic locking.


@pytest.mark.django_db
def test_act_on_an_older_version_is_refused_with_the_current_state(reviewer, curator):
    interaction = make_interaction()
    seen = interaction.version
    workflow.flag(interaction, curator, "doubtful", version=seen)

    response = act(token_client(reviewer), interaction, "reject", reason="wrong species", version=seen)

    assert response.status_code == 409
    body = response.json()
    assert "Someone else changed this interaction" in body["detail"]
    assert body["current"]["status"] == Status.FLAGGED
    assert body["current"]["version"] == seen + 1
    interaction.refresh_from_db()
    assert interaction.status == Status.FLAGGED
    assert list(CurationEvent.objects.values_list("action", flat=True)) == ["flag"]


@pytest.mark.django_db
def test_act_on_the_current_version_is_made(reviewer):
    interaction = make_interaction(Status.FLAGGED)

    response = act(token_client(reviewer), interaction, "approve", version=interaction.version)

    assert response.status_code == 200
    assert response.json()["interaction"]["version"] == interaction.version + 1


@pytest.mark.django_db
def test_user_without_the_role_gets_403_not_the_current_state(curator):
    interaction = make_interaction(Status.FLAGGED)

    response = act(token_client(curator), interaction, "approve", version=99)

    assert response.status_code == 403
    assert "current" not in response.json()


# Bad requests are JSON errors, never 500.


@pytest.mark.django_db
@pytest.mark.parametrize("version", ["abc", 0, -1, 1.5, [1]])
def test_invalid_version_is_a_400(reviewer, version):
    interaction = make_interaction(Status.FLAGGED)

    response = act(token_client(reviewer), interaction, "approve", version=version)

    assert response.status_code == 400
    assert "version" in response.json()["detail"]


@pytest.mark.django_db
def test_malformed_json_is_a_400(reviewer):
    interaction = make_interaction()

    response = token_client(reviewer).post(act_url(interaction, "flag"), "{reason", content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.django_db
@pytest.mark.parametrize("pk", [999, 2**70])
@pytest.mark.parametrize("endpoint", ["flag", "approve", "reject", "reopen", "curation", "comments", "events"])
def test_unknown_interaction_is_a_404(reviewer, pk, endpoint):
    client = token_client(reviewer)
    url = f"/api/interactions/{pk}/{endpoint}/"

    response = client.get(url) if endpoint in ("curation", "comments", "events") else client.post(url, {"reason": "x"})

    assert response.status_code == 404
    assert error_message(response) == f"No interaction with the id {pk}."


@pytest.mark.django_db
def test_get_on_a_transition_is_a_405(reviewer):
    interaction = make_interaction()

    response = token_client(reviewer).get(act_url(interaction, "flag"))

    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{}, {"text": ""}, {"text": "  \n "}])
def test_empty_comment_is_refused(curator, body):
    interaction = make_interaction()

    response = token_client(curator).post(comments_url(interaction), body, format="json")

    assert response.status_code == 400
    assert not Comment.objects.exists()


@pytest.mark.django_db
def test_reason_with_a_nul_character_is_a_400(curator):
    interaction = make_interaction()

    response = act(token_client(curator), interaction, "flag", reason="bad\x00reason")

    assert response.status_code == 400


# Lists: newest first, a fixed number of queries.


@pytest.mark.django_db
def test_history_lists_every_act_newest_first(reviewer, curator, django_assert_num_queries):
    interaction = make_interaction()
    workflow.flag(interaction, curator, "one source only")
    workflow.reject(interaction, reviewer, "wrong species")
    workflow.reopen(interaction, reviewer, "new paper")
    client = token_client(reviewer)

    with django_assert_num_queries(5):
        response = client.get(events_url(interaction))

    assert [(row["action"], row["actor"], row["reason"]) for row in response.json()] == [
        ("reopen", "reviewer", "new paper"),
        ("reject", "reviewer", "wrong species"),
        ("flag", "curator", "one source only"),
    ]


@pytest.mark.django_db
def test_comments_are_listed_newest_first(reviewer, curator, django_assert_num_queries):
    interaction = make_interaction()
    for number in range(3):
        workflow.add_comment(interaction, curator if number % 2 else reviewer, f"comment {number}")
    client = token_client(curator)

    with django_assert_num_queries(5):
        response = client.get(comments_url(interaction))

    assert [row["text"] for row in response.json()] == ["comment 2", "comment 1", "comment 0"]


# What the public sees.


@pytest.mark.django_db
def test_public_api_no_longer_shows_an_interaction_rejected_through_the_api(reviewer):
    rejected = make_interaction(Status.FLAGGED)
    kept = make_interaction(number=2)
    anonymous = APIClient()
    assert anonymous.get(reverse("api:interaction-detail", args=[rejected.pk])).status_code == 200

    assert act(token_client(reviewer), rejected, "reject", reason="wrong species").status_code == 200

    listed = anonymous.get(reverse("api:interaction-list")).json()["results"]
    assert [row["id"] for row in listed] == [kept.pk]
    assert anonymous.get(reverse("api:interaction-detail", args=[rejected.pk])).status_code == 404


# The OpenAPI schema documents the curation endpoints.


def test_schema_documents_the_curation_endpoints():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    flag = schema["paths"]["/api/interactions/{id}/flag/"]["post"]
    assert flag["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/TransitionRequest")
    assert {"200", "400", "401", "403", "404", "409"} <= set(flag["responses"])
    assert set(schema["components"]["schemas"]["TransitionRequest"]["properties"]) == {"reason", "version"}
    comments = schema["paths"]["/api/interactions/{id}/comments/"]
    assert {"get", "post"} <= set(comments)
    assert "get" in schema["paths"]["/api/interactions/{id}/events/"]
    assert "get" in schema["paths"]["/api/interactions/{id}/curation/"]


@pytest.mark.django_db
def test_served_schema_lists_the_curation_endpoints():
    response = APIClient().get(reverse("api:schema"), {"format": "json"})

    assert response.status_code == 200
    paths = response.json()["paths"]
    for endpoint in [*TRANSITIONS, "curation", "comments", "events"]:
        assert f"/api/interactions/{{id}}/{endpoint}/" in paths


@pytest.mark.django_db
def test_served_schema_says_which_reasons_are_required_and_not_blank():
    schema = APIClient().get(reverse("api:schema"), {"format": "json"}).json()

    def body(endpoint):
        reference = schema["paths"][f"/api/interactions/{{id}}/{endpoint}/"]["post"]["requestBody"]
        name = reference["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        return schema["components"]["schemas"][name]

    for action in ("flag", "reject", "reopen"):
        assert "reason" in body(action)["required"]
        assert body(action)["properties"]["reason"]["minLength"] == 1
    assert "reason" not in body("approve").get("required", [])
    assert "minLength" not in body("approve")["properties"]["reason"]
    assert body("comments")["properties"]["text"]["minLength"] == 1
