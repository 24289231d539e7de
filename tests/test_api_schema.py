"""Property-based fuzzing of the API from its OpenAPI schema (schemathesis, a bounded number of examples).

Every operation of ``/api/schema/`` is called with values generated from its parameters'
schemas: no answer may be a server error, and the answers of the read API must be what the
schema says (status codes, content types, headers, JSON bodies).  Schema-valid values may still
be refused with a 400 (an organism or source database name the portal does not know), so
schemathesis's "valid data is accepted" check is not run.
"""

import re

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from proteins.importing.run import import_pages
from releases.freezing import freeze
from releases.models import Release
from tests.test_api import FIXTURE_PAGES, make_world

EXAMPLES_PER_OPERATION = 30
READ_API = r"^/api/(organisms|sources|methods|proteins|interactions|binding-sites)/(\{[a-z_]+\}/)?$"


@pytest.fixture
def api_schema(db, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": None, "token": None}}
    make_world()
    import_pages([FIXTURE_PAGES])
    published = freeze(Release.objects.create(number=1))  # release=1 answers from a release's rows
    Release.objects.filter(pk=published.pk).update(state=Release.State.PUBLISHED)
    from portal.wsgi import application

    # Requests go through the WSGI application, whose end closes the database connection; inside
    # the test's transaction it must stay open (Django's test client disconnects the same handler).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")
fuzzing = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


READ_API_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@schema.parametrize()
@fuzzing
def test_no_request_gets_a_server_error_and_read_answers_match_the_schema(case):
    read_api = re.match(READ_API, case.operation.path)
    case.call_and_validate(checks=READ_API_CHECKS if read_api else [not_a_server_error])
