"""End to end in headless Chromium: staff publish a release, a reviewer rejects an interaction,
staff publish the next one, and its page shows the interaction withdrawn with the reason."""

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import expect

from tests.jobs import run_queued_jobs
from tests.test_browser_curation import PASSWORD, POU3F4, SP1, decide, log_in, open_from_queue

# Transactional: the live server's thread reads what the test wrote.
pytestmark = pytest.mark.django_db(transaction=True)
REASON = "The cited ChIP-seq peak lies in another gene"


@pytest.fixture
def people(sample_data):
    editor = User.objects.create_user("edna", password=PASSWORD, is_staff=True)
    editor.groups.add(Group.objects.get(name="editor"))
    reviewer = User.objects.create_user("rex", password=PASSWORD)
    reviewer.groups.add(Group.objects.get(name="reviewer"))


def publish(page, base_url, notes):
    """Staff ask for a release in the admin; the worker publishes it; the job's page says so."""
    page.goto(f"{base_url}/admin/releases/release/")
    page.get_by_role("link", name="Publish a new release").click()
    page.get_by_label("Notes").fill(notes)
    page.get_by_role("button", name="Publish release").click()
    expect(page.locator(".messagelist")).to_contain_text("is queued")
    run_queued_jobs()
    page.reload()
    expect(page.locator("#content")).to_contain_text("State: Done")


def test_staff_publish_a_reviewer_rejects_and_the_next_release_shows_it_withdrawn_with_the_reason(
    page, live_server, people, release_storage
):
    base = live_server.url
    page.goto(f"{base}/admin/login/")
    page.get_by_label("Username").fill("edna")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    publish(page, base, "The first release, *as imported*.")

    page.goto(f"{base}/releases/latest/")
    expect(page.locator("h1")).to_contain_text("Release 1")
    expect(page.locator("main em")).to_have_text("as imported")  # the notes' markdown
    expect(page.locator("main")).to_contain_text("The first release: no previous one to compare with.")
    page.context.clear_cookies()

    log_in(page, base, "rex")
    open_from_queue(page, base, "POU3F4")
    decide(page, "reject", REASON)
    page.context.clear_cookies()

    page.goto(f"{base}/admin/login/")
    page.get_by_label("Username").fill("edna")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    publish(page, base, "SP1 -> POU3F4 withdrawn.")

    page.goto(f"{base}/releases/")
    page.get_by_role("link", name="Release 2").first.click()
    main = page.locator("main")
    expect(main).to_contain_text("Since release 1")
    expect(main).to_contain_text("0 interactions added, 1 withdrawn")
    withdrawn = main.locator("tr", has_text=POU3F4).filter(has_text="Rejected on")
    expect(withdrawn).to_contain_text(REASON)
    expect(withdrawn).to_contain_text(SP1)

    # The first release still holds it; the live API no longer shows it to the public.
    page.context.clear_cookies()
    frozen = page.request.get(f"{base}/api/interactions/?release=1&tf={SP1}&target={POU3F4}")
    assert [row["target"]["accession"] for row in frozen.json()["results"]] == [POU3F4]
    assert frozen.json()["release"]["number"] == 1
    live = page.request.get(f"{base}/api/interactions/?tf={SP1}&target={POU3F4}")
    assert live.json()["results"] == []
