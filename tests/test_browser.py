"""End to end in headless Chromium: what a visiting biologist does, click by click."""

import pytest
from playwright.sync_api import expect

from proteins.models import Interaction

# Transactional: the live server's thread reads what the test wrote.
pytestmark = pytest.mark.django_db(transaction=True)


def network_node_position(page, accession):
    """Where a node is drawn on the page, in page coordinates."""
    box = page.locator("#network").bounding_box()
    position = page.evaluate(
        "(id) => window.portalNetwork.getElementById(id).renderedPosition()",
        accession,
    )
    return box["x"] + position["x"], box["y"] + position["y"]


def test_search_entry_page_network_and_download(page, live_server, sample_data, tmp_path):
    page.goto(live_server.url)
    page.get_by_label("Gene name, UniProt accession or NCBI Gene id", exact=True).fill("bax")
    page.get_by_role("button", name="Search").last.click()

    page.wait_for_url("**/protein/Q07812/")
    assert page.locator("h1").inner_text().startswith("BAX")
    tfs = page.locator("#tfs")
    assert "Page 1 of 12" in tfs.inner_text()

    tfs.get_by_role("link", name="Next →").click()
    page.wait_for_url("**tfs-page=2**")
    assert "Page 2 of 12" in page.locator("#tfs").inner_text()
    assert page.locator("#tfs tbody tr").count() == 50

    network = page.locator("#network")
    # The default cap is 100 partners: BAX and 100 of its 571 TFs.
    expect(network).to_have_attribute("data-node-count", "101")
    assert "Showing 100 of 571 interactions." in page.locator("#network-status").inner_text()

    page.fill("#network-limit", "5")
    page.click("#network-redraw")
    expect(network).to_have_attribute("data-node-count", "6")
    partner = page.evaluate("window.portalNetwork.nodes('[center = 0]')[0].id()")
    x, y = network_node_position(page, partner)
    page.mouse.click(x, y)
    page.wait_for_url(f"**/protein/{partner}/")
    assert partner in page.locator("h1").inner_text()

    page.goto(f"{live_server.url}/protein/Q07812/")
    with page.expect_download() as download_info:
        page.locator("#tfs").get_by_role("link", name="Download all (TSV)").click()
    download = download_info.value
    assert download.suggested_filename == "tfs_of_Q07812.tsv"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    lines = saved.read_text().splitlines()
    assert lines[0].startswith("UniprotID.TF\tNCBI.GeneID.TF\tName.TF")
    assert len(lines) == 1 + Interaction.objects.filter(target__accession="Q07812").count()


def test_network_png_export_downloads_an_image(page, live_server, sample_data, tmp_path):
    page.goto(f"{live_server.url}/protein/P46152/")
    expect(page.locator("#network")).to_have_attribute("data-node-count", "7")

    with page.expect_download() as download_info:
        page.click("#network-png")

    saved = tmp_path / "network.png"
    download_info.value.save_as(saved)
    assert download_info.value.suggested_filename == "P46152_network.png"
    assert saved.read_bytes().startswith(b"\x89PNG")


# The Content-Security-Policy: the ``page`` fixture fails a test whose pages come without it or
# break it (a refused script, style, image, fetch or worker) or throw a script error.


def test_public_pages_work_under_the_content_security_policy(page, live_server, sample_data):
    base = live_server.url
    for address, heading in (
        ("/", "Transcription factor → target gene interactions"),
        ("/search/?q=sp", "Search"),
        ("/browse/9606/", "Proteins of Homo sapiens"),
        ("/interaction/P08047/Q07812/", "SP1 → BAX"),
        ("/downloads/", "Downloads"),
        ("/about-api/", "REST API"),
        ("/pages/cite/", "How to cite"),
    ):
        page.goto(base + address)
        expect(page.locator("h1")).to_contain_text(heading)

    page.goto(f"{base}/protein/P46152/")
    expect(page.locator("#network")).to_have_attribute("data-node-count", "7")
    # Cytoscape's container rule comes from static/css/network.css, not from a <style> it injects.
    assert page.eval_on_selector("#network", "element => getComputedStyle(element).position") == "relative"
    page.fill("#network-limit", "3")
    page.click("#network-redraw")
    expect(page.locator("#network")).to_have_attribute("data-node-count", "4")


def test_swagger_ui_lists_and_runs_the_api_operations(page, live_server, sample_data):
    page.goto(f"{live_server.url}/api/docs/")
    organisms = page.locator(".opblock-get", has_text="/api/organisms/").first
    expect(organisms).to_be_visible()
    expect(page.locator(".opblock-get", has_text="/api/interactions/").first).to_be_visible()

    organisms.locator(".opblock-summary").click()
    organisms.get_by_role("button", name="Try it out").click()
    organisms.get_by_role("button", name="Execute").click()
    answer = organisms.locator(".live-responses-table")
    expect(answer.locator("tr.response .response-col_status")).to_have_text("200")
    expect(answer).to_contain_text('"name": "Homo sapiens"')


@pytest.mark.csp_refuses("https://cdn.redoc.ly/redoc/logo-mini.svg")
def test_redoc_shows_and_searches_the_api_reference(page, live_server, sample_data):
    answered = []  # a request the policy refuses gets no response
    page.on("response", lambda response: answered.append(response.url))
    page.goto(f"{live_server.url}/api/redoc/")
    expect(page.locator("h1").first).to_have_text("TF-target curation portal API (1.0.0)")
    expect(page.get_by_role("menuitem").filter(has_text="interactions").first).to_be_visible()

    page.get_by_placeholder("Search...").fill("binding sites")
    expect(page.locator("[data-role='search:results'] li").first).to_be_visible()
    expect(page.get_by_alt_text("redocly logo")).to_have_count(0)  # refused, so Redoc left it out
    assert [url for url in answered if not url.startswith((live_server.url, f"blob:{live_server.url}"))] == []


def test_browsable_api_shows_the_interactions_and_their_filters(page, live_server, sample_data):
    page.goto(f"{live_server.url}/api/interactions/?tf=P08047")
    expect(page.locator("h1")).to_have_text("Interaction List")
    expect(page.locator(".response-info")).to_contain_text('"accession": "Q07812"')

    page.get_by_role("button", name="Filters").click()
    expect(page.locator("#filtersModal")).to_be_visible()
