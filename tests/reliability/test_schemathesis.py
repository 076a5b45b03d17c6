"""Property-based fuzzing of the whole HTTP API from its own OpenAPI schema, as a real user.

Every operation gets generated requests (the `{user_id}` path parameter is the real user's, with
their bearer token): no answer may be a 5xx, and every answer's status, content type and body
must be ones the schema declares.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.generation.case import Case
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import PASSWORD, unique_email
from tests.servers import Server

pytestmark = pytest.mark.slow

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 25
# A chat turn runs the agent: fewer examples keep the run bounded (and under the rate limit).
CHAT_EXAMPLES = 12
# About 6.5 s per operation on a busy 2-core machine (41 operations).
BUDGET_SECONDS = 300


def _fresh_user(base_url: str) -> tuple[str, dict[str, str]]:
    response = httpx.post(
        f"{base_url}/api/auth/signup", json={"email": unique_email("fuzz"), "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return body["user"]["id"], {"Authorization": f"Bearer {body['access_token']}"}


def _fuzz(
    operation: APIOperation[Any, Any, Any, Any], base_url: str, user_id: str, auth: dict[str, str]
) -> None:
    """Run the generated requests of one operation; raises what schemathesis found."""
    fixed = {"user_id": user_id} if "{user_id}" in operation.path else None

    @settings(
        max_examples=CHAT_EXAMPLES if "/chat" in operation.path else EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(path_parameters=fixed, headers=auth))
    def check(case: Case[Any]) -> None:
        case.call_and_validate(base_url=base_url, checks=CHECKS, headers=auth, timeout=60)

    check()


@pytest.mark.timeout(420)
def test_every_operation_conforms_to_the_schema(server: Server) -> None:
    """No 5xx and no undeclared status, content type or body, for any generated request."""
    schema = schemathesis.openapi.from_url(f"{server.base_url}/openapi.json")
    started = time.monotonic()
    failures: list[str] = []
    tested = 0
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        if operation.path.endswith("/events"):
            continue  # an endless stream: each request would only end at its timeout (tests/notify)
        # A user per operation: chat operations each stay well inside the per-minute limit.
        user_id, auth = _fresh_user(server.base_url)
        try:
            _fuzz(operation, server.base_url, user_id, auth)
        except (Exception, BaseExceptionGroup) as error:  # schemathesis's FailureGroup
            failures.append(f"{operation.label}: {error}")
        tested += 1
    assert tested == 41
    assert not failures, "\n\n".join(failures)
    assert time.monotonic() - started < BUDGET_SECONDS
