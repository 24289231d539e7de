from pathlib import Path

import pytest

FIXTURE_PAGES = Path(__file__).resolve().parent.parent / "fixtures" / "pages"


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
