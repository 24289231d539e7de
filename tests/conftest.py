import os
from importlib import import_module
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.core.cache import cache
from django.test import override_settings

from proteins.importing.run import import_pages
from proteins.querysets import forget_rarity
from tests.accounts import staff

FIXTURE_PAGES = Path(__file__).resolve().parent.parent / "fixtures" / "pages"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
# Without the networking flags Chromium tries to reach Google's services on this closed network.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session", autouse=True)
def fast_password_hasher():
    """Every test, and every fixture that makes users, hashes passwords with MD5: the production
    hasher is slow on purpose, and making users was most of the suite's fixture time."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def fresh_rarity():
    """Each test counts its own sources' shares: a process remembers them (``querysets.is_rare``)."""
    forget_rarity()


@pytest.fixture
def fixture_pages():
    """The folder of real TFLink pages (and two download tables) shipped with the project."""
    return FIXTURE_PAGES


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can act on failures (screenshots)."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


# Browser tests (headless Chromium through playwright).


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the tests touch the database
    # only between browser steps, never concurrently with it.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as driver:
            chromium = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            yield chromium
            chromium.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


def watch_content_security_policy(tab, problems):
    """Note in ``problems`` each page the tab opens without the site's policy, each thing the
    browser refuses under it (Chromium reports every refusal on the console) and each uncaught
    script error (a refused script or style often shows as one)."""

    def on_response(response):
        opened = response.request.is_navigation_request() and response.frame == tab.main_frame
        if opened and "script-src 'self'" not in response.headers.get("content-security-policy", ""):
            problems.append(f"{response.url}: served without the Content-Security-Policy")

    def on_console(message):
        if "Content Security Policy" in message.text:
            problems.append(f"{tab.url}: {message.text}")

    tab.on("response", on_response)
    tab.on("console", on_console)
    tab.on("pageerror", lambda error: problems.append(f"{tab.url}: uncaught {error}"))


def refusals_expected(request):
    """What the test's ``csp_refuses`` marker says the policy refuses on purpose (parts of the console messages)."""
    marker = request.node.get_closest_marker("csp_refuses")
    return marker.args if marker else ()


@pytest.fixture
def page(browser, request):
    """A browser tab; the test fails if a page breaks the Content-Security-Policy (see
    ``watch_content_security_policy``). A failing test leaves a screenshot in test-artifacts/."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    tab = context.new_page()
    problems = []
    watch_content_security_policy(tab, problems)
    yield tab
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    expected = refusals_expected(request)
    problems = [problem for problem in problems if not any(part in problem for part in expected)]
    assert problems == [], "The page broke the Content-Security-Policy:\n" + "\n".join(problems)


@pytest.fixture
def sample_data(fixture_pages):
    """The sample pages imported, for transactional (live server) tests.

    A transactional test starts from the tables as the previous one left them (flushed):
    the reference data of the data migrations is put back first.
    """
    for app, migration, function in (
        ("proteins", "0002_tflink_organisms", "add_organisms"),
        ("proteins", "0004_default_site_pages", "add_pages"),
        ("curation", "0002_roles", "add_roles"),
        ("releases", "0002_editor_role", "add_roles"),
    ):
        getattr(import_module(f"{app}.migrations.{migration}"), function)(django_apps, None)
    cache.clear()
    report = import_pages([fixture_pages])
    assert report.failures == []


@pytest.fixture
def curator(db):
    """A curator (staff, group "curator"); test files that need other curators define their own."""
    return staff("curie", "curator")


@pytest.fixture
def reviewer(db):
    """A reviewer (staff, group "reviewer")."""
    return staff("rosalind", "reviewer")


@pytest.fixture
def release_storage(settings, tmp_path):
    """Release files go to a folder of the test's own (``STORAGES["releases"]``); returns it."""
    folder = tmp_path / "releases"
    settings.STORAGES = {
        **settings.STORAGES,
        "releases": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": folder}},
    }
    return folder
