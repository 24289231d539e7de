"""The Content-Security-Policy header (django-csp): on every response, strict everywhere but Redoc's page."""

import pytest
from django.test import Client, override_settings

# The policy of portal/settings.py, as the browser reads it.
STRICT = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def policy(response):
    """The response's Content-Security-Policy as {directive: its sources}."""
    header = response.headers["Content-Security-Policy"]
    return dict(directive.strip().split(" ", 1) for directive in header.split(";"))


@pytest.mark.django_db
# WhiteNoise serves the static folders themselves (as under DEBUG), not a collectstatic folder.
@override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True)
@pytest.mark.parametrize(
    "address, accept, status",
    [
        pytest.param("/", "text/html", 200, id="page"),
        pytest.param("/protein/P99999/", "text/html", 404, id="page not found"),
        pytest.param("/api/organisms/", "application/json", 200, id="API JSON"),
        pytest.param("/api/no-such-list/", "application/json", 404, id="API not found"),
        pytest.param("/api/organisms/", "text/html", 200, id="browsable API"),
        pytest.param("/api/interactions/?format=tsv", "*/*", 200, id="API stream"),
        pytest.param("/downloads/9606/interactions.tsv", "*/*", 200, id="download stream"),
        pytest.param("/api/docs/", "text/html", 200, id="Swagger UI"),
        pytest.param("/admin/login/", "text/html", 200, id="admin"),
        pytest.param("/static/css/portal.css", "text/css", 200, id="static file"),
    ],
)
def test_every_kind_of_response_carries_the_strict_policy(address, accept, status):
    response = Client().get(address, headers={"Accept": accept})

    assert response.status_code == status
    assert policy(response) == STRICT


@pytest.mark.django_db
def test_redoc_alone_allows_inline_styles_and_a_search_worker(client):
    response = client.get("/api/redoc/")

    assert response.status_code == 200
    assert policy(response) == {
        **STRICT,
        "style-src": "'self' 'unsafe-inline'",
        "worker-src": "'self' blob:",
    }


@pytest.mark.django_db
def test_swagger_ui_loads_its_setup_from_a_script_file(client):
    page = client.get("/api/docs/").content.decode()
    setup = client.get("/api/docs/?script=")

    assert '<script src="/api/docs/?script="></script>' in page
    assert "<script>" not in page
    assert setup.status_code == 200
    assert setup.headers["Content-Type"].startswith("application/javascript")
    assert 'url: "/api/schema/"' in setup.content.decode()


@pytest.mark.django_db
def test_a_refused_form_gets_the_sites_page_under_the_policy():
    response = Client(enforce_csrf_checks=True).post("/curation/login/", {"username": "cora", "password": "x"})

    assert response.status_code == 403
    assert "The form was not sent" in response.content.decode()
    assert "<style" not in response.content.decode()
    assert policy(response) == STRICT
