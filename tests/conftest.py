from pathlib import Path

import pytest

FIXTURE_PAGES = Path(__file__).resolve().parent.parent / "fixtures" / "pages"


@pytest.fixture
def fixture_pages():
    """The folder of real TFLink pages (and two download tables) shipped with the project."""
    return FIXTURE_PAGES
