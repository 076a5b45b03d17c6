"""The chat turn's statements, built once with bind parameters.

Building a SQLAlchemy statement and computing its cache key costs more CPU than PostgreSQL
takes to run it; every chat turn runs these, so they are constructed at import and only
executed (the repository passes the values). Each is a single statement: claim-and-store and
reply-and-release use data-modifying CTEs so the conversation row is updated and the message
inserted atomically, numbered by the row's own `last_seq`.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Integer,
    Interval,
    Table,
    Text,
    bindparam,
    case,
    delete,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy import (
    cast as cast_,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.types import Uuid

from todochat.accounts.models import User
from todochat.chat.models import Conversation, Message
from todochat.ratelimit import rate_window

# Core tables, not ORM entities: an ORM-enabled UPDATE/INSERT would read the parameters as
# rows to write. ORM objects come back through select(Message).from_statement(...).
conversation_table = cast(Table, Conversation.__table__)
message = cast(Table, Message.__table__)
user_table = cast(Table, User.__table__)
conversation = conversation_table.c
app_user = user_table.c

# Parameters are named p_*: a bind parameter named like a column of an UPDATE's table would be
# taken as a value to SET.
USER_ID = bindparam("p_user_id", type_=Uuid())
CONVERSATION_ID = bindparam("p_conversation_id", type_=BigInteger())
CLAIM = bindparam("p_claim", type_=Interval())
TURN_KEY = bindparam("p_turn_key", type_=Text())

_MESSAGE_COLUMNS = ["conversation_id", "user_id", "seq", "role", "content", "tool_calls", "error"]


def _message_insert(source: Any, role: str) -> Any:
    """INSERT of a message numbered by `source` (a CTE returning a conversation's id and new
    last_seq), returning the row."""
    return (
        insert(message)
        .from_select(
            _MESSAGE_COLUMNS,
            select(
                source.c.id,
                USER_ID,
                source.c.last_seq,
                literal(role, Text()),
                bindparam("p_content", type_=Text()),
                bindparam("p_tool_calls", type_=JSONB()),
                bindparam("p_error", type_=Text()),
            ),
        )
        .returning(*message.c)
    )


def _insert_message_from(source: Any, role: str) -> Any:
    """The same insert, the row as an ORM Message."""
    return select(Message).from_statement(_message_insert(source, role))


_mine = (conversation.id == CONVERSATION_ID, conversation.user_id == USER_ID)
# Free: no live claim, or the claim was taken under this token. A turn's token is its
# Idempotency-Key if it has one (so a retry continues its own dead attempt), else a random one.
_free = or_(
    conversation.turn_expires_at.is_(None),
    conversation.turn_expires_at < func.now(),
    conversation.turn_key == TURN_KEY,
)

# Count a turn in the user's one-minute window (dropping the user's older windows) and read
# the user's time zone, in one statement; no row if the user no longer exists.
_window_start = func.date_trunc("minute", func.now())
_TURN_SUBJECT = literal("turn:", Text()) + cast_(USER_ID, Text())
_purge = (
    delete(rate_window)
    .where(rate_window.c.subject == _TURN_SUBJECT, rate_window.c.window_start < _window_start)
    .cte("purge")
)
_counted = (
    insert(rate_window)
    .from_select(
        ["subject", "window_start", "count"],
        select(
            literal("turn:", Text()) + cast_(app_user.id, Text()), _window_start, literal(1)
        ).where(app_user.id == USER_ID),
    )
    .on_conflict_do_update(
        index_elements=[rate_window.c.subject, rate_window.c.window_start],
        set_={"count": rate_window.c.count + 1},
    )
    .returning(rate_window.c.count)
    .cte("counted")
)
COUNT_TURN = (
    select(app_user.time_zone, _counted.c.count, 60 - func.extract("second", func.now()))
    .select_from(user_table)
    .join(_counted, true())
    .where(app_user.id == USER_ID)
    .add_cte(_purge)
)

# A new conversation, claimed by the turn that creates it, with its first message.
START_CONVERSATION = _insert_message_from(
    insert(conversation_table)
    .values(
        user_id=USER_ID,
        title=bindparam("p_title", type_=Text()),
        last_seq=1,
        turn_expires_at=func.now() + CLAIM,
        turn_key=TURN_KEY,
    )
    .returning(conversation.id, conversation.last_seq)
    .cte("created"),
    "user",
)

# Claim the conversation and store the user's message, returning it with the messages before
# it (newest first, at most p_earlier): the history comes back in the claim's round trip. The
# earlier messages are read from the statement's snapshot, which the insert does not change;
# nothing comes back when the conversation is taken or not the user's.
_claimed = (
    update(conversation_table)
    .where(*_mine, _free)
    .values(
        turn_expires_at=func.now() + CLAIM,
        turn_key=TURN_KEY,
        last_seq=conversation.last_seq + 1,
        updated_at=func.now(),
    )
    .returning(conversation.id, conversation.last_seq)
    .cte("claimed")
)
_stored = _message_insert(_claimed, "user").cte("stored")
_earlier = (
    select(*message.c)
    .where(
        message.c.conversation_id == CONVERSATION_ID,
        message.c.user_id == USER_ID,
        # Evaluated once (a one-time filter): the backward index scan runs only if claimed.
        select(_claimed.c.id).exists(),
    )
    .order_by(message.c.seq.desc())
    .limit(bindparam("p_earlier"))
)
CLAIM_STORE_AND_READ = select(Message).from_statement(
    union_all(select(_stored), _earlier.subquery().select())
)

# Claim the conversation only (a keyed retry whose message is already stored).
CLAIM_ONLY = (
    update(conversation_table)
    .where(*_mine, _free)
    .values(turn_expires_at=func.now() + CLAIM, turn_key=TURN_KEY)
    .returning(conversation.id)
)

# The last messages, newest first: a backward scan of the (conversation_id, seq) index, whose
# cost does not depend on how long the conversation is.
RECENT_MESSAGES = (
    select(Message)
    .where(Message.conversation_id == CONVERSATION_ID, Message.user_id == USER_ID)
    .order_by(Message.seq.desc())
    .limit(bindparam("p_limit"))
)

# Store the assistant's reply (or failure) and end the turn's claim — only if the turn still
# holds it: a turn whose claim lapsed must not free the conversation for another's turn.
_held = conversation.turn_key == TURN_KEY
RELEASE_WITH_REPLY = _insert_message_from(
    update(conversation_table)
    .where(*_mine)
    .values(
        last_seq=conversation.last_seq + 1,
        updated_at=func.now(),
        turn_expires_at=case((_held, None), else_=conversation.turn_expires_at),
        turn_key=case((_held, None), else_=conversation.turn_key),
    )
    .returning(conversation.id, conversation.last_seq)
    .cte("released"),
    "assistant",
)

# A keyed retry of a turn whose earlier attempt stored a failure: the retry's reply (or its own
# failure) takes that failure's place, so the user's message keeps exactly one reply. The claim
# is ended as above; nothing comes back if the failure is not there.
_released_only = (
    update(conversation_table)
    .where(*_mine)
    .values(
        updated_at=func.now(),
        turn_expires_at=case((_held, None), else_=conversation.turn_expires_at),
        turn_key=case((_held, None), else_=conversation.turn_key),
    )
    .returning(conversation.id)
    .cte("released")
)
REPLACE_FAILED_REPLY = select(Message).from_statement(
    update(message)
    .where(
        message.c.conversation_id == select(_released_only.c.id).scalar_subquery(),
        message.c.user_id == USER_ID,
        message.c.seq == bindparam("p_seq", type_=Integer()),
        message.c.role == "assistant",
        message.c.error.is_not(None),
    )
    .values(
        content=bindparam("p_content", type_=Text()),
        tool_calls=bindparam("p_tool_calls", type_=JSONB()),
        error=bindparam("p_error", type_=Text()),
        created_at=func.now(),
    )
    .returning(*message.c)
)

# Renew a running turn's claim, if it still holds it.
EXTEND_CLAIM = (
    update(conversation_table)
    .where(*_mine, conversation.turn_key == TURN_KEY, conversation.turn_expires_at.is_not(None))
    .values(turn_expires_at=func.now() + CLAIM)
)

# Take back the count of a turn that was refused (busy, not found, over the limit).
UNCOUNT_TURN = (
    update(rate_window)
    .where(rate_window.c.subject == _TURN_SUBJECT, rate_window.c.window_start == _window_start)
    .values(count=rate_window.c.count - 1)
)
