"""Development cases (not blind) for the second version's mechanisms: word forms, typos,
statements and questions about state, errands without "add", and attributes in multi-adds.

Each test names the mechanism it checks; the phrasings are examples of it, not a list the model
was tuned to.
"""

from __future__ import annotations

import pytest
from agents import FunctionTool

from tests.agent.test_offline_model import Chat, seed, titles
from todochat.agent.offline.model import _declared
from todochat.agent.offline.words import lemma, nearest, respell


def test_lemmas_and_typos_of_single_words() -> None:
    assert [lemma(w) for w in ("groceries", "paid", "called", "dishes")] == [
        "grocery",
        "pay",
        "call",
        "dish",
    ]
    assert nearest("taks", {"task", "take", "tasks"}) == "task"  # swapped letters win a tie
    assert nearest("bad", {"add"}) is None  # short words are never respelt
    assert respell("shwo my taks", frozenset({"show", "tasks", "task"})) == "show my task"


async def test_a_word_form_of_a_title_word_finds_the_task() -> None:
    chat = Chat()
    seed(chat, "Buy groceries", "Call mom")
    await chat.say("pls delete grocery one")
    assert titles(chat) == ["Call mom"]


@pytest.mark.parametrize("message", ["shwo my taks", "waht's pendign?", "lsit my todos"])
async def test_misspelt_requests_are_read_after_respelling(message: str) -> None:
    chat = Chat()
    seed(chat, "Buy groceries", "Call mom")
    text = await chat.say(message)
    assert "Buy groceries" in text and "Call mom" in text
    assert [name for name, _ in chat.store.calls] == ["list_tasks"]


async def test_misspelt_task_names_match_the_title() -> None:
    chat = Chat()
    seed(chat, "Do laundry", "Call mom")
    await chat.say("mark teh laundy as done")
    assert chat.store.tasks[1]["completed"] is True


@pytest.mark.parametrize(
    ("message", "state"),
    [
        ("did I pay the electricity bill?", "not done"),
        ("have I called mom yet?", "not done"),
        ("have I called the plumber?", "not done"),  # the object alone finds "Ring the plumber"
        ("did i pay teh rent", "done"),
        ("I haven't finished the report yet", "not done"),
        ("I still haven't called mom", "not done"),
    ],
)
async def test_questions_and_statements_about_state_change_nothing(
    message: str, state: str
) -> None:
    chat = Chat()
    seed(chat, "Pay electricity bill", "Call mom", "Ring the plumber", "Finish the report")
    rent = chat.store.seed(title="Pay rent")
    rent["completed"] = True
    before = [dict(t) for t in chat.store.tasks.values()]
    text = await chat.say(message)
    assert [dict(t) for t in chat.store.tasks.values()] == before
    assert [name for name, _ in chat.store.calls] == ["list_tasks"]
    assert state in text.lower()


@pytest.mark.parametrize(
    "message", ["finally did the laundry lol", "just did the laundry!", "did laundry"]
)
async def test_a_task_reported_done_without_i_is_completed(message: str) -> None:
    chat = Chat()
    seed(chat, "Do the laundry", "Call mom")
    await chat.say(message)
    assert [t["completed"] for t in chat.store.tasks.values()] == [True, False]


@pytest.mark.parametrize(
    "message", ["did I finish anything today?", "called it a day", "walked the dog"]
)
async def test_not_every_past_tense_is_a_report(message: str) -> None:
    chat = Chat()
    seed(chat, "Do the laundry", "Call mom")
    await chat.say(message)
    assert not any(t["completed"] for t in chat.store.tasks.values())


async def test_an_errand_without_add_is_added_with_its_date() -> None:
    chat = Chat()
    text = await chat.say("buy milk tomorrow")
    assert titles(chat) == ["Buy milk"]
    assert chat.store.tasks[1]["due_at"] is not None and "Buy milk" in text


@pytest.mark.parametrize("message", ["call it a day", "do task 1", "check my tasks"])
async def test_not_every_verb_is_an_errand(message: str) -> None:
    chat = Chat()
    seed(chat, "Pay rent")
    await chat.say(message)
    assert titles(chat) == ["Pay rent"]


async def test_snooze_and_deadline_moves() -> None:
    chat = Chat()
    seed(chat, "Pay rent", "Write the report", due_in_days=1)
    before = chat.store.tasks[1]["due_at"]
    await chat.say("snooze pay rent by 2 days")
    assert chat.store.tasks[1]["due_at"] > before
    await chat.say("push the report deadline to Friday")
    assert chat.store.calls[-1][0] == "update_task"
    assert chat.store.calls[-1][1]["task_id"] == 2


async def test_each_new_task_keeps_the_attributes_said_with_it() -> None:
    chat = Chat()
    await chat.say("add buy milk tomorrow and call bob friday, high priority")
    milk, bob = chat.store.tasks[1], chat.store.tasks[2]
    assert (milk["title"], milk["priority"]) == ("Buy milk", "medium")
    assert (bob["title"], bob["priority"]) == ("Call bob", "high")
    assert milk["due_at"] and bob["due_at"] and milk["due_at"] != bob["due_at"]


async def test_both_gives_a_trailing_attribute_to_every_new_task() -> None:
    chat = Chat()
    await chat.say("add pay rent and call mom, both urgent")
    assert [t["priority"] for t in chat.store.tasks.values()] == ["high", "high"]


async def test_small_talk_with_a_date_does_not_date_the_task() -> None:
    chat = Chat()
    await chat.say("this week has been crazy lol. can you add renew passport")
    assert titles(chat) == ["Renew passport"]
    assert chat.store.tasks[1]["due_at"] is None


async def test_repeating_and_reminder_phrases_become_tool_arguments() -> None:
    chat = Chat()
    await chat.say("remind me every monday to water the plants")
    plants = chat.store.tasks[1]
    assert (plants["title"], plants["recurrence"]) == ("Water the plants", {"text": "every monday"})
    await chat.say("remind me to call the dentist at 5pm")
    dentist = chat.store.tasks[2]
    assert dentist["reminders"] == [{"at": "5pm"}] and dentist["due_at"] is not None
    await chat.say("remind me 30 minutes before")
    assert chat.store.tasks[2]["reminders"] == [{"before": "30 minutes"}]
    await chat.say("stop repeating the plants task")
    assert chat.store.tasks[1]["recurrence"] is None


def test_arguments_a_tool_does_not_declare_are_left_out() -> None:
    schema = {"type": "object", "properties": {"title": {"type": "string"}}}
    tool = FunctionTool(
        name="add_task",
        description="add",
        params_json_schema=schema,
        on_invoke_tool=lambda _ctx, _raw: None,  # type: ignore[arg-type,return-value]
        strict_json_schema=False,
    )
    arguments = {"title": "Yoga", "recurrence": "every monday", "reminders": [{"at": "5pm"}]}
    assert _declared(arguments, tool) == {"title": "Yoga every monday"}


@pytest.mark.parametrize("message", ["check the list", "check my todo list"])
async def test_checking_the_list_looks_at_it_and_completes_nothing(message: str) -> None:
    chat = Chat()
    seed(chat, "Pay rent", "Call mom")
    text = await chat.say(message)
    assert not any(t["completed"] for t in chat.store.tasks.values())
    assert "Pay rent" in text and [name for name, _ in chat.store.calls] == ["list_tasks"]
