"""End to end in headless Chromium: a curator flags, a reviewer decides, the public site follows."""

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import expect

PASSWORD = "a long demo password"
SP1, POU3F4, BAX = "P08047", "P49335", "Q07812"  # SP1 regulates POU3F4 and BAX in the sample pages

# Transactional: the live server's thread reads what the test wrote.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people(sample_data):
    for username, role in (("cora", "curator"), ("rex", "reviewer")):
        user = User.objects.create_user(username, password=PASSWORD)
        user.groups.add(Group.objects.get(name=role))


def log_in(page, base_url, username):
    page.goto(f"{base_url}/")
    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Log in").click()
    page.wait_for_url("**/curation/")
    expect(page.locator("h1")).to_have_text("Curation")


def open_from_queue(page, base_url, target_name):
    """The queue of SP1's interactions, then the workspace of the one with ``target_name``."""
    page.goto(f"{base_url}/curation/queue/?tf={SP1}")
    row = page.locator("#queue tbody tr").filter(has_text=target_name)
    row.get_by_role("link", name="SP1").click()
    page.wait_for_url("**/curation/interaction/*/")
    expect(page.locator("h1")).to_contain_text(target_name)


def decide(page, action, reason=""):
    form = page.locator(f"form.act-{action}")
    if reason:
        form.get_by_label("Reason").fill(reason)
    form.get_by_role("button", name=action.capitalize()).click()
    expect(page.locator(".messages")).to_contain_text(
        {"flag": "flagged", "approve": "approved", "reject": "rejected"}[action]
    )


def test_curator_flags_and_reviewer_decides_and_the_public_site_follows(page, live_server, people):
    base = live_server.url

    log_in(page, base, "cora")
    open_from_queue(page, base, "POU3F4")
    decide(page, "flag", "ChIP-seq peak 40 kb from the gene")
    expect(page.locator("#current-status")).to_have_text("flagged")
    expect(page.locator("#history")).to_contain_text("cora flag: unreviewed → flagged")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{base}/")

    log_in(page, base, "rex")
    expect(page.locator("#newest-flags")).to_contain_text("ChIP-seq peak 40 kb from the gene")
    open_from_queue(page, base, "BAX")
    decide(page, "approve")
    expect(page.locator("#current-status")).to_have_text("approved")
    open_from_queue(page, base, "POU3F4")
    decide(page, "reject", "No SP1 motif near the peak")
    expect(page.locator("#current-status")).to_have_text("rejected")

    page.goto(f"{base}/protein/{SP1}/")
    targets = page.locator("#targets")
    expect(targets).to_contain_text("BAX")
    expect(targets).not_to_contain_text("POU3F4")
    expect(targets.locator("tr", has_text="BAX")).to_contain_text("approved")
    assert page.goto(f"{base}/interaction/{SP1}/{POU3F4}/").status == 404
    assert page.goto(f"{base}/interaction/{SP1}/{BAX}/").status == 200
    expect(page.locator("h1")).to_contain_text("approved")

    api = page.request.get(f"{base}/api/interactions/?tf={SP1}")
    assert api.status == 200
    rows = api.json()["results"]
    assert [(row["target"]["accession"], row["status"]) for row in rows] == [(BAX, "approved")]


def test_staff_flag_in_the_admin_read_the_history_and_export(page, live_server, sample_data):
    """The admin's pages under the Content-Security-Policy (the ``page`` fixture fails on a breach)."""
    User.objects.create_superuser("ada", password=PASSWORD)
    base = live_server.url
    page.goto(f"{base}/admin/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("h1")).to_have_text("Site administration")

    page.goto(f"{base}/admin/proteins/interaction/?q={SP1}")
    page.locator("#result_list tbody tr", has_text="BAX").locator("input.action-select").check()
    expect(page.locator(".action-counter")).to_have_text("1 of 2 selected")
    page.locator("select[name=action]").select_option(label="Flag selected interactions for review (asks for a reason)")
    page.get_by_role("button", name="Go").click()
    page.get_by_label("Reason to flag").fill("Peak far from the promoter")
    page.get_by_role("button", name="Flag 1 interaction").click()
    expect(page.locator(".messagelist")).to_contain_text("Flagged 1 interaction.")

    page.locator("#result_list tbody tr", has_text="BAX").locator("th a").click()
    page.get_by_role("link", name="History", exact=True).click()
    expect(page.locator("#change-history tbody")).to_contain_text("flag: Peak far from the promoter")

    page.goto(f"{base}/admin/proteins/interaction/export/")
    fields = page.locator('.selectable-field-export-row input[type="checkbox"]')
    expect(fields.first).to_be_checked()
    page.get_by_label("Select all").uncheck()
    for index in range(fields.count()):
        expect(fields.nth(index)).not_to_be_checked()


def test_curator_enters_from_a_paper_another_reviewer_approves_and_a_visitor_report_becomes_a_flag(
    page, live_server, people
):
    base = live_server.url
    User.objects.create_user("rita", password=PASSWORD).groups.add(Group.objects.get(name="reviewer"))
    sentence = "POU3F4 represses BAX transcription in cochlear cells."

    # A curator enters POU3F4 -> BAX from a paper: repression, with the sentence quoted.
    log_in(page, base, "cora")
    page.get_by_role("link", name="Add an interaction from a paper").click()
    page.select_option("#id_organism", label="Homo sapiens")
    page.fill("#id_tf", "POU3F4")
    page.fill("#id_target", "BAX")
    page.fill("#id_publications-0-pmid", "12345678")
    page.select_option("#id_publications-0-mode", "repression")
    page.fill("#id_publications-0-sentence", sentence)
    page.fill("#id_detection_methods", "luciferase reporter assay")
    page.get_by_role("button", name="Save the interaction").click()
    page.wait_for_url("**/curation/interaction/*/")
    workspace = page.url
    expect(page.locator("#current-status")).to_have_text("proposed")
    expect(page.locator("#current-mode")).to_contain_text("repression")
    expect(page.locator("main")).to_contain_text(sentence)
    # Proposed: the public does not see it yet.
    assert page.goto(f"{base}/interaction/{POU3F4}/{BAX}/").status == 404
    page.goto(f"{base}/")
    page.get_by_role("button", name="Log out").click()

    # Another reviewer approves it; the public entry page shows it with its mode and confidence.
    log_in(page, base, "rita")
    page.goto(workspace)
    decide(page, "approve")
    expect(page.locator("#current-confidence")).to_have_text("A")
    page.get_by_role("button", name="Log out").click()

    page.goto(f"{base}/protein/{POU3F4}/")
    row = page.locator("#targets tr", has_text="BAX")
    expect(row).to_contain_text("repression")
    expect(row).to_contain_text("A")
    # POU3F4, its 42 TFs and its targets in the sample pages (GCG), and now BAX.
    expect(page.locator("#network")).to_have_attribute("data-node-count", "45")
    arrow = page.evaluate(
        "target => window.portalNetwork.edges()"
        ".filter(edge => edge.data('target') === target)[0].style('target-arrow-shape')",
        BAX,
    )
    assert arrow == "tee"  # repression: a bar

    # A visitor reports a problem on the public interaction page; the curator flags from it.
    page.goto(f"{base}/interaction/{POU3F4}/{BAX}/")
    expect(page.locator("main")).to_contain_text(sentence)
    report = page.locator("#report")
    report.locator("select[name=kind]").select_option("wrong_mode")
    report.locator("textarea[name=text]").fill("The paper shows activation in Figure 3, not repression.")
    report.locator("input[name=email]").fill("visitor@example.org")
    report.get_by_role("button", name="Send the report").click()
    expect(page.locator(".messages")).to_contain_text("Thank")
    expect(page.locator("main")).not_to_contain_text("visitor@example.org")

    # Approved already: turning the report into a flag reopens it, which a reviewer does.
    log_in(page, base, "rex")
    reported = page.locator("#open-reports tr", has_text="activation in Figure 3")
    expect(reported).to_contain_text("visitor@example.org")
    reported.get_by_role("button", name="Flag").click()
    expect(page.locator(".messages")).to_contain_text("reopened")
    page.goto(workspace)
    expect(page.locator("#current-status")).to_have_text("flagged")
    expect(page.locator("#history")).to_contain_text("activation in Figure 3")
