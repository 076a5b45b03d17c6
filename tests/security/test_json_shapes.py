"""Bodies that are JSON but cannot be read, and blank query filters: answers match the schema."""

from __future__ import annotations

import httpx
import jsonschema
import pytest

from tests.factories import Account, signup

DIGITS = "7" * 5000
DEEP = "[" * 5000 + "]" * 5000


@pytest.fixture
async def account(client: httpx.AsyncClient) -> Account:
    """A fresh user."""
    return await signup(client)


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (
            f'{{"title": "x", "priority": {DIGITS}}}',
            "The request body holds a number too long to read (numbers must fit in 64 bits).",
        ),
        (f'{{"title": "x", "tags": {DEEP}}}', "The request body is nested too deeply to read."),
        (DEEP, "The request body is nested too deeply to read."),
        (DIGITS, "The request body holds a number too long to read (numbers must fit in 64 bits)."),
    ],
    ids=["long-integer-field", "deep-field", "deep-body", "long-integer-body"],
)
async def test_unreadable_json_is_422_and_stores_nothing(
    client: httpx.AsyncClient, account: Account, body: str, detail: str
) -> None:
    headers = {**account.headers, "Content-Type": "application/json"}
    for path in (account.url("/tasks"), account.url("/chat")):
        response = await client.post(path, content=body, headers=headers)
        assert response.status_code == 422, response.text
        assert response.json() == {"error": "validation_error", "detail": detail}
    signup_attempt = await client.post("/api/auth/signup", content=body, headers=headers)
    assert (signup_attempt.status_code, signup_attempt.json()["detail"]) == (422, detail)
    listed = await client.get(account.url("/tasks"), headers=account.headers)
    conversations = await client.get(account.url("/conversations"), headers=account.headers)
    assert (listed.json()["total"], conversations.json()["total"]) == (0, 0)


async def test_a_body_that_is_not_utf8_stays_400(
    client: httpx.AsyncClient, account: Account
) -> None:
    headers = {**account.headers, "Content-Type": "application/json"}
    response = await client.post(
        account.url("/tasks"), content=b'{"title": "\xff"}', headers=headers
    )
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"


async def test_blank_query_filters_are_what_the_schema_declares(
    client: httpx.AsyncClient, account: Account
) -> None:
    """Each list filter: a blank value is accepted by the API and by its OpenAPI schema, and a
    value outside the schema is refused by both."""
    schema = (await client.get("/openapi.json")).json()
    parameters = {
        parameter["name"]: parameter["schema"]
        for parameter in schema["paths"]["/api/{user_id}/tasks"]["get"]["parameters"]
        if parameter["in"] == "query"
    }
    assert set(parameters) == {"status", "q", "tag", "priority", "due", "sort", "limit", "offset"}
    for name, parameter_schema in parameters.items():
        blank = await client.get(account.url(f"/tasks?{name}="), headers=account.headers)
        assert blank.status_code == 200, (name, blank.text)
        jsonschema.validate("", parameter_schema)  # the schema says blank is fine, too
    for name, bad in (("priority", "urgent"), ("due", "someday"), ("sort", "size")):
        refused = await client.get(account.url(f"/tasks?{name}={bad}"), headers=account.headers)
        assert refused.status_code == 422, name
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, parameters[name])
