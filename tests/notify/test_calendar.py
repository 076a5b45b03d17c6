"""The iCalendar feed: a secret URL, parsed with icalendar, revocable, private to its user."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar

from tests.factories import Account, add_task, signup


@pytest.fixture
async def account(client: httpx.AsyncClient) -> Account:
    return await signup(client, time_zone="Europe/Paris")


async def feed_url(client: httpx.AsyncClient, account: Account) -> str:
    response = await client.get(account.url("/calendar"), headers=account.headers)
    assert response.status_code == 200, response.text
    return str(response.json()["url"])


async def fetch(client: httpx.AsyncClient, url: str, **params: str) -> httpx.Response:
    """Fetch a feed URL as a calendar app would: no bearer token."""
    return await client.get(urlsplit(url).path, params=params)


async def test_feed_lists_due_tasks_as_events(client: httpx.AsyncClient, account: Account) -> None:
    due = await add_task(
        client,
        account,
        title="Dentist",
        description="Bring the card",
        priority="high",
        tags=["health"],
        due_at="2030-03-04T16:30:00Z",
    )
    await add_task(client, account, title="No date")
    done = await add_task(client, account, title="Done already", due_at="2030-03-05T08:00:00Z")
    toggled = await client.patch(
        account.url(f"/tasks/{done['id']}/complete"), headers=account.headers
    )
    assert toggled.status_code == 200

    url = await feed_url(client, account)
    assert url.startswith(f"http://testserver/calendar/{account.id}/") and url.endswith(".ics")
    response = await fetch(client, url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    events = calendar.walk("VEVENT")
    assert [str(event["SUMMARY"]) for event in events] == ["Dentist"]
    [event] = events
    start = event.decoded("DTSTART")
    assert start == datetime(2030, 3, 4, 16, 30, tzinfo=UTC)
    assert start.tzinfo.key == "Europe/Paris"  # type: ignore[union-attr]
    assert start.hour == 17  # 16:30 UTC is 17:30 in Paris
    assert str(event["DESCRIPTION"]) == "Bring the card"
    assert event["PRIORITY"] == 1
    assert event.categories == ["health"]
    assert str(event["UID"]) == f"task-{due['id']}-{account.id}@todochat"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    assert calendar.walk("VTODO") == []


async def test_feed_as_todos(client: httpx.AsyncClient, account: Account) -> None:
    await add_task(client, account, title="Pay rent", due_at="2030-04-01T07:00:00Z")
    done = await add_task(client, account, title="Filed taxes", due_at="2030-03-31T07:00:00Z")
    await client.patch(account.url(f"/tasks/{done['id']}/complete"), headers=account.headers)
    url = await feed_url(client, account)
    calendar = Calendar.from_ical((await fetch(client, url, components="vtodo")).content)
    todos = {str(todo["SUMMARY"]): todo for todo in calendar.walk("VTODO")}
    assert set(todos) == {"Pay rent", "Filed taxes"}
    assert str(todos["Pay rent"]["STATUS"]) == "NEEDS-ACTION"
    assert str(todos["Filed taxes"]["STATUS"]) == "COMPLETED"
    assert "COMPLETED" in todos["Filed taxes"]
    assert todos["Pay rent"].decoded("DUE") == datetime(
        2030, 4, 1, 9, tzinfo=ZoneInfo("Europe/Paris")
    )
    assert calendar.walk("VEVENT") == []
    both = Calendar.from_ical((await fetch(client, url, components="vevent,vtodo")).content)
    assert (len(both.walk("VEVENT")), len(both.walk("VTODO"))) == (1, 2)
    bad = await fetch(client, url, components="vjournal")
    assert bad.status_code == 422 and bad.json()["error"] == "validation_error"


async def test_url_is_stable_until_revoked(client: httpx.AsyncClient, account: Account) -> None:
    url = await feed_url(client, account)
    assert await feed_url(client, account) == url
    revoked = await client.delete(account.url("/calendar"), headers=account.headers)
    assert revoked.status_code == 204
    gone = await fetch(client, url)
    assert gone.status_code == 404 and gone.json()["error"] == "not_found"
    again = await client.delete(account.url("/calendar"), headers=account.headers)
    assert again.status_code == 404
    fresh = await feed_url(client, account)
    assert fresh != url
    assert (await fetch(client, fresh)).status_code == 200
    assert (await fetch(client, url)).status_code == 404


async def test_wrong_tokens_and_other_users_are_not_found(
    client: httpx.AsyncClient, account: Account
) -> None:
    other = await signup(client)
    await add_task(client, other, title="Secret plan", due_at="2030-01-01T00:00:00Z")
    mine = await feed_url(client, account)
    theirs = await feed_url(client, other)
    my_token = urlsplit(mine).path.rsplit("/", 1)[1]
    their_token = urlsplit(theirs).path.rsplit("/", 1)[1]
    for path in (
        f"/calendar/{other.id}/{my_token}",  # my token on their feed
        f"/calendar/{account.id}/{their_token}",  # their token on my feed
        f"/calendar/{other.id}/{'A' * 43}.ics",
        f"/calendar/{other.id}/.ics",
        f"/calendar/not-a-uuid/{their_token}",
    ):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert b"Secret plan" not in response.content
    assert b"Secret plan" in (await fetch(client, theirs)).content
    # Asking for the URL needs the owner's bearer token.
    assert (await client.get(other.url("/calendar"), headers=account.headers)).status_code == 403
    assert (await client.get(other.url("/calendar"))).status_code == 401
    assert (await client.delete(other.url("/calendar"), headers=account.headers)).status_code == 403


async def test_repeating_tasks_carry_their_rrule(
    client: httpx.AsyncClient, account: Account
) -> None:
    await add_task(
        client,
        account,
        title="Water the plants",
        due_at="2030-03-04T08:00:00+01:00",
        recurrence="FREQ=WEEKLY;BYDAY=MO",
    )
    calendar = Calendar.from_ical((await fetch(client, await feed_url(client, account))).content)
    [event] = calendar.walk("VEVENT")
    assert event["RRULE"]["FREQ"] == ["WEEKLY"] and event["RRULE"]["BYDAY"] == ["MO"]
    # A calendar expands it in the user's zone: 8:00 in Paris every Monday, also after DST.
    start = event.decoded("DTSTART")
    assert start.tzinfo.key == "Europe/Paris"  # type: ignore[union-attr]
    rule = rrulestr(event["RRULE"].to_ical().decode(), dtstart=start)
    later = list(rule[:6])
    assert all(moment.weekday() == 0 and moment.hour == start.hour for moment in later)
    assert later[-1].utcoffset() != later[0].utcoffset()  # the DST change falls in between
