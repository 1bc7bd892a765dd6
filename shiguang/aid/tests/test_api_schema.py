"""Schemathesis on the square's API as an elder, a worker and a volunteer: every response is declared (code
and body), schema-valid requests are accepted, and no input causes a server error. (The project-wide test in
shiguang/core covers elders and workers; volunteers are the square's main users.)"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application()).include(
    path_regex="^/api/v1/aid/"
)
CURRENT: dict[str, str] = {}


@schema.auth(refresh_interval=None)
class BearerToken:
    def get(self, case: Any, context: Any) -> str:
        return CURRENT.get("token", "")

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Django closes the connection after each request (`close_old_connections`); inside a test transaction on
    PostgreSQL that would end the test's transaction. Django's own test client disconnects it the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=["elder", "worker", "volunteer"])
def persona_token(request, elder, worker_a, volunteer):
    from shiguang.accounts.services import token_issue

    user = {"elder": elder.user, "worker": worker_a, "volunteer": volunteer.user}[request.param]
    cache.clear()
    CURRENT["token"] = token_issue(user=user, name="schemathesis")[1]
    yield
    cache.clear()  # throttle counters live in the cache


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_aid_api_conforms_to_its_schema(case, persona_token):
    # As in core/tests/test_api_schema.py: a declared 422 for a combination the schema can't express is fine.
    case.call_and_validate(excluded_checks=[positive_data_acceptance, negative_data_rejection])
