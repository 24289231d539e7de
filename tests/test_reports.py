"""Problems visitors report on an interaction's page, and curators turning them into flags or dismissing them."""

import ipaddress
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from curation.models import Comment, CurationEvent, ProblemReport
from proteins.models import Interaction, Organism, Protein
from tests.accounts import signed_in, staff

pytestmark = pytest.mark.django_db

Status = Interaction.Status
State = ProblemReport.State
EMAIL = "visitor@example.org"
THANKS = "Thank you: your report was sent to the curators."


@pytest.fixture(autouse=True)
def fresh_counters():
    cache.clear()


def protein(accession, gene_name):
    return Protein.objects.create(
        accession=accession, gene_name=gene_name, organism=Organism.objects.get(name="Homo sapiens")
    )


def interaction(tf, target, status=Status.UNREVIEWED):
    return Interaction.objects.create(tf=tf, target=target, organism=tf.organism, status=status)


@pytest.fixture
def pair():
    return interaction(protein("P04637", "TP53"), protein("Q07812", "BAX"))


def page_url(row):
    return reverse("proteins:interaction", args=[row.tf.accession, row.target.accession])


def report_url(row):
    return reverse("report_problem", args=[row.tf.accession, row.target.accession])


def send(client, row, text="PMID 123 was retracted in 2020.", kind="retracted_paper", email=EMAIL, **fields):
    data = {"kind": kind, "text": text, "email": email, **fields}
    return client.post(report_url(row), data, follow=True, **client_address())


def client_address(address="192.0.2.10"):
    return {"REMOTE_ADDR": address}


def text_of(response):
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&gt;", ">").replace("&#x27;", "'")


def report_of(row):
    return ProblemReport.objects.get(interaction=row)


# Visitors.


def test_a_visitor_reports_a_problem_and_is_thanked(pair):
    page = Client().get(page_url(pair))
    assert "Report a problem" in text_of(page)

    response = Client().post(
        report_url(pair),
        {"kind": "retracted_paper", "text": "PMID 123 was retracted.", "email": EMAIL},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == page_url(pair)
    assert THANKS in text_of(response)
    report = report_of(pair)
    assert (report.kind, report.text, report.email, report.state) == (
        "retracted_paper",
        "PMID 123 was retracted.",
        EMAIL,
        State.OPEN,
    )


def test_the_curator_sees_the_report_with_its_email_and_the_public_never_does(pair, curator):
    send(Client(), pair, text="The target is misnamed.", kind="misread_paper")

    dashboard = text_of(signed_in(curator).get(reverse("curation:dashboard")))
    public = Client().get(page_url(pair)).content.decode()

    assert "Problems reported by visitors (1)" in dashboard
    assert "TP53 → BAX" in dashboard
    assert "a publication was misread : The target is misnamed." in dashboard
    assert EMAIL in dashboard
    assert EMAIL not in public
    assert "The target is misnamed." not in public


def test_the_honeypot_is_thanked_and_stores_nothing(pair):
    response = send(Client(), pair, website="http://spam.example/")

    assert THANKS in text_of(response)
    assert not ProblemReport.objects.exists()


def test_the_sixth_report_in_an_hour_from_one_address_is_refused_and_another_address_still_can(pair, settings):
    settings.REPORTS_PER_HOUR = 5
    client = Client()
    for _ in range(5):
        assert THANKS in text_of(send(client, pair))

    refused = send(client, pair)
    other = client.post(report_url(pair), {"kind": "other", "text": "Also wrong."}, **client_address("192.0.2.99"))

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many reports from your address in the last hour: please try again in 60 minutes." in text_of(refused)
    assert other.status_code == 302
    assert ProblemReport.objects.count() == 6


def test_a_trusted_proxy_counts_each_client_by_its_forwarded_address(pair, settings):
    settings.REPORTS_PER_HOUR = 1
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.1/32")]
    proxy = Client(REMOTE_ADDR="10.0.0.1")

    first = proxy.post(report_url(pair), {"kind": "other", "text": "a"}, HTTP_X_FORWARDED_FOR="198.51.100.1")
    second = proxy.post(report_url(pair), {"kind": "other", "text": "b"}, HTTP_X_FORWARDED_FOR="198.51.100.2")
    again = proxy.post(report_url(pair), {"kind": "other", "text": "c"}, HTTP_X_FORWARDED_FOR="198.51.100.1")

    assert (first.status_code, second.status_code, again.status_code) == (302, 302, 429)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "other", "text": "x" * 4001}, "Describe the problem in at most 4000 characters (this has 4001)."),
        ({"kind": "other", "text": "   "}, "Describe the problem."),
        ({"kind": "other", "text": "ok", "email": "not an address"}, "Enter a valid email address."),
        ({"kind": "nonsense", "text": "ok"}, "Select a valid choice."),
    ],
)
def test_invalid_reports_are_refused_on_the_form_and_store_nothing(pair, data, message):
    response = Client().post(report_url(pair), data)

    assert response.status_code == 400
    assert message in text_of(response)
    assert not ProblemReport.objects.exists()


def test_a_report_needs_the_csrf_token(pair):
    client = Client(enforce_csrf_checks=True)
    refused = client.post(report_url(pair), {"kind": "other", "text": "No token."})
    page = client.get(page_url(pair))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)

    accepted = client.post(report_url(pair), {"kind": "other", "text": "With a token.", "csrfmiddlewaretoken": token})

    assert refused.status_code == 403
    assert accepted.status_code == 302
    assert [report.text for report in ProblemReport.objects.all()] == ["With a token."]


@pytest.mark.parametrize("status", [Status.REJECTED, Status.PROPOSED])
def test_hidden_interactions_cannot_be_reported(pair, status):
    Interaction.objects.filter(pk=pair.pk).update(status=status)

    assert send(Client(), pair).status_code == 404
    assert Client().post("/interaction/P99999/Q99999/report/", {"kind": "other", "text": "x"}).status_code == 404
    assert not ProblemReport.objects.exists()


def test_the_report_form_is_not_a_get(pair):
    assert Client().get(report_url(pair)).status_code == 405


# Curators.


def flag(client, report, version=None):
    version = report.interaction.version if version is None else version
    return client.post(reverse("curation:flag_report", args=[report.pk]), {"version": version}, follow=True)


def dismiss(client, report, reason):
    return client.post(reverse("curation:dismiss_report", args=[report.pk]), {"reason": reason}, follow=True)


def test_a_report_becomes_a_flag_with_its_text_as_the_reason(pair, curator):
    send(Client(), pair, text="PMID 123 was retracted.")
    report = report_of(pair)

    response = flag(signed_in(curator), report)

    assert "Report flagged: TP53 → BAX." in text_of(response)
    report.refresh_from_db()
    assert report.state == State.FLAGGED
    assert (report.handled_by, report.handled_at is not None) == (curator, True)
    assert report.event.action == CurationEvent.Action.FLAG
    assert report.event.reason == "Reported by a visitor (a publication was retracted): PMID 123 was retracted."
    assert Interaction.objects.get(pk=pair.pk).status == Status.FLAGGED
    assert "Problems reported by visitors (0)" in text_of(response)


def test_a_report_cannot_be_handled_twice(pair, curator, reviewer):
    send(Client(), pair)
    report = report_of(pair)
    flag(signed_in(curator), report)

    again = flag(signed_in(reviewer), report)
    dismissed = dismiss(signed_in(reviewer), report, "duplicate")

    message = "This report was already handled: turned into a flag by curie."
    assert message in text_of(again)
    assert message in text_of(dismissed)
    assert CurationEvent.objects.filter(interaction=pair).count() == 1


def test_a_report_on_a_flagged_interaction_is_added_as_a_comment(pair, curator):
    Interaction.objects.filter(pk=pair.pk).update(status=Status.FLAGGED)
    send(Client(), pair, text="Wrong cell line.", kind="other")
    report = report_of(pair)

    response = flag(signed_in(curator), report)

    assert "Report added as a comment to TP53 → BAX." in text_of(response)
    report.refresh_from_db()
    assert (report.state, report.event) == (State.FLAGGED, None)
    assert report.comment == Comment.objects.get(interaction=pair)
    assert report.comment.text == "Reported by a visitor (something else): Wrong cell line."
    assert Interaction.objects.get(pk=pair.pk).status == Status.FLAGGED


def test_a_report_on_an_approved_interaction_is_reopened_by_a_reviewer_only(pair, curator, reviewer):
    Interaction.objects.filter(pk=pair.pk).update(status=Status.APPROVED)
    send(Client(), pair)
    report = report_of(pair)

    refused = signed_in(curator).post(reverse("curation:flag_report", args=[report.pk]), {"version": 1})
    reopened = flag(signed_in(reviewer), report)

    assert refused.status_code == 403
    assert "Only a reviewer may reopen interactions." in text_of(refused)
    assert "Report reopened: TP53 → BAX." in text_of(reopened)
    assert Interaction.objects.get(pk=pair.pk).status == Status.FLAGGED
    assert report_of(pair).event.action == CurationEvent.Action.REOPEN


def test_a_flag_from_a_stale_page_is_refused(pair, curator):
    send(Client(), pair)
    report = report_of(pair)

    response = flag(signed_in(curator), report, version=pair.version + 1)

    assert "Someone else changed this interaction" in text_of(response)
    assert report_of(pair).state == State.OPEN
    assert Interaction.objects.get(pk=pair.pk).status == Status.UNREVIEWED


def test_dismissal_needs_a_reason_and_is_recorded(pair, curator):
    send(Client(), pair)
    report = report_of(pair)
    client = signed_in(curator)

    refused = dismiss(client, report, "  ")
    dismissed = dismiss(client, report, "The paper was corrected, not retracted.")

    assert "A reason is required to dismiss a report." in text_of(refused)
    assert "Report on TP53 → BAX dismissed." in text_of(dismissed)
    report.refresh_from_db()
    assert (report.state, report.handled_by, report.dismiss_reason) == (
        State.DISMISSED,
        curator,
        "The paper was corrected, not retracted.",
    )
    assert report.event.action == CurationEvent.Action.DISMISS_REPORT
    assert Interaction.objects.get(pk=pair.pk).status == Status.UNREVIEWED
    history = text_of(client.get(reverse("curation:workspace", args=[pair.pk])))
    assert "dismiss problem report" in history
    assert "The paper was corrected, not retracted." in history


def test_visitors_and_accounts_without_a_role_cannot_flag_or_dismiss(pair):
    send(Client(), pair)
    report = report_of(pair)
    nobody = signed_in(staff("vic"))
    urls = [reverse(f"curation:{act}_report", args=[report.pk]) for act in ("flag", "dismiss")]

    for url in urls:
        visitor = Client().post(url, {"version": 1, "reason": "spam"})
        assert visitor.status_code == 302 and visitor["Location"].startswith("/curation/login/")
        assert nobody.post(url, {"version": 1, "reason": "spam"}).status_code == 403

    assert report_of(pair).state == State.OPEN
    assert Interaction.objects.get(pk=pair.pk).status == Status.UNREVIEWED


def test_the_dashboard_lists_open_reports_newest_first_in_a_fixed_number_of_queries(
    pair, curator, django_assert_num_queries
):
    client = signed_in(curator)
    client.get(reverse("curation:dashboard"))
    send(Client(), pair, text="first")
    # session, user, permissions (2), status counts, the reports and their count, source changes
    # and their count, flags, my acts, the menu from the database cache
    with django_assert_num_queries(12):
        client.get(reverse("curation:dashboard"))
    for number in range(2, 6):
        other = interaction(pair.tf, protein(f"O1{number:04d}", f"GENE{number}"))
        send(Client(), other, text=f"report {number}")

    with django_assert_num_queries(12):
        response = client.get(reverse("curation:dashboard"))

    shown = re.findall(r'<tr data-report="(\d+)"', response.content.decode())
    assert shown == [
        str(pk) for pk in ProblemReport.objects.order_by("-created_at", "-pk").values_list("pk", flat=True)
    ]


def test_the_admin_lists_reports_with_their_email_for_staff(pair, curator):
    send(Client(), pair)

    listing = signed_in(curator).get(reverse("admin:curation_problemreport_changelist"))

    assert listing.status_code == 200
    assert EMAIL in listing.content.decode()
    assert Client().get(reverse("admin:curation_problemreport_changelist")).status_code == 302


# The curation API.


def token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_curators_list_open_reports_with_their_email_through_the_api(pair, curator, django_assert_num_queries):
    send(Client(), pair, text="Wrong target.", kind="wrong_interaction")
    other = interaction(pair.tf, protein("O10001", "GENE1"))
    send(Client(), other, text="Second.", email="")
    dismiss(signed_in(curator), report_of(other), "not a problem")
    send(Client(), other, text="Third.")
    client = token_client(curator)

    # the token and its user, permissions (2), the reports with their interactions
    with django_assert_num_queries(4):
        response = client.get("/api/curation/reports/")

    assert response.status_code == 200
    listed = response.json()
    assert [report["text"] for report in listed] == ["Third.", "Wrong target."]
    assert listed[1]["email"] == EMAIL
    assert listed[1]["kind"] == "wrong_interaction"
    assert listed[1]["interaction"] == {
        "id": pair.pk,
        "tf": "P04637",
        "target": "Q07812",
        "status": "unreviewed",
        "version": 1,
        "allowed_actions": ["flag"],
    }


def test_the_report_api_needs_a_curator(pair):
    send(Client(), pair)
    report = report_of(pair)
    nobody = token_client(staff("vic"))

    assert APIClient().get("/api/curation/reports/").status_code == 401
    assert nobody.get("/api/curation/reports/").status_code == 403
    for act in ("flag", "dismiss"):
        url = f"/api/curation/reports/{report.pk}/{act}/"
        assert APIClient().post(url, {"reason": "x"}).status_code == 401
        refused = nobody.post(url, {"reason": "x"})
        assert refused.status_code == 403
        assert refused.json()["detail"] == "Only a curator may handle problem reports."
    assert report_of(pair).state == State.OPEN


def test_a_curator_flags_from_a_report_through_the_api_once(pair, curator):
    send(Client(), pair, text="Retracted.")
    report = report_of(pair)
    client = token_client(curator)

    stale = client.post(f"/api/curation/reports/{report.pk}/flag/", {"version": 7}, format="json")
    flagged = client.post(f"/api/curation/reports/{report.pk}/flag/", {"version": 1}, format="json")
    again = client.post(f"/api/curation/reports/{report.pk}/dismiss/", {"reason": "late"}, format="json")

    assert stale.status_code == 409
    assert stale.json()["current"]["version"] == 1
    assert flagged.status_code == 200
    body = flagged.json()
    assert (body["state"], body["handled_by"], body["interaction"]["status"]) == ("flagged", "curie", "flagged")
    assert body["event"]["action"] == "flag"
    assert body["event"]["reason"] == "Reported by a visitor (a publication was retracted): Retracted."
    assert again.status_code == 409
    assert again.json()["detail"] == "This report was already handled: turned into a flag by curie."


def test_a_curator_dismisses_a_report_through_the_api_with_a_reason(pair, curator):
    send(Client(), pair)
    report = report_of(pair)
    client = token_client(curator)

    blank = client.post(f"/api/curation/reports/{report.pk}/dismiss/", {"reason": " "}, format="json")
    dismissed = client.post(f"/api/curation/reports/{report.pk}/dismiss/", {"reason": "Not retracted."}, format="json")
    missing = client.post("/api/curation/reports/999999/dismiss/", {"reason": "x"}, format="json")

    assert blank.status_code == 400
    assert "A reason is required to dismiss a report." in str(blank.json()["detail"])
    assert dismissed.status_code == 200
    assert (dismissed.json()["state"], dismissed.json()["dismiss_reason"]) == ("dismissed", "Not retracted.")
    assert dismissed.json()["event"]["action"] == "dismiss_report"
    assert missing.status_code == 404
    assert missing.json()["detail"] == "No report with the id 999999."
