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
