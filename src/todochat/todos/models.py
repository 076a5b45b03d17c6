"""The task and reminder tables."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Interval,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from todochat.db.base import Base, Timestamped

PRIORITIES = ("low", "medium", "high")
REMINDER_STATUSES = ("pending", "sent", "cancelled")
# How long a deleted task stays restorable before it is purged for good.
TOMBSTONE_DAYS = 30


class Task(Timestamped, Base):
    """One thing to do."""

    __tablename__ = "task"
    __table_args__ = (
        CheckConstraint("char_length(title) BETWEEN 1 AND 200", name="title_length"),
        CheckConstraint("char_length(description) <= 2000", name="description_length"),
        CheckConstraint("priority IN ('low', 'medium', 'high')", name="priority_value"),
        CheckConstraint("completed = (completed_at IS NOT NULL)", name="completed_at_matches"),
        CheckConstraint(
            "(recurrence_rule IS NULL) = (recurrence_text IS NULL)", name="recurrence_text_matches"
        ),
        # The user's own task number, the id every adapter shows: also the index of lookups.
        UniqueConstraint("user_id", "number", name="uq_task_user_id_number"),
        # The list view: a user's tasks by status, in creation order.
        Index("ix_task_user_completed_id", "user_id", "completed", "id"),
        Index(
            "ix_task_user_due_at", "user_id", "due_at", postgresql_where=text("due_at IS NOT NULL")
        ),
    )

    # The internal key (foreign keys point at it); never shown: users see `number`.
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    # 1, 2, 3... per user, from app_user.last_task_number; never reused for that user.
    number: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, server_default="")
    completed: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    priority: Mapped[str] = mapped_column(String(6), server_default="medium")
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A repeating task: its RFC 5545 RRULE (DTSTART is due_at in the user's zone), the rule in
    # words, and whether the next occurrence counts from completion instead of from due_at.
    recurrence_rule: Mapped[str | None] = mapped_column(Text)
    recurrence_text: Mapped[str | None] = mapped_column(Text)
    recurrence_from_completion: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # Set when the user deletes the task: hidden everywhere, restorable (undo) with its number,
    # purged TOMBSTONE_DAYS later (see TaskRepository.delete_task).
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def recurrence(self) -> dict[str, object] | None:
        """The repeat rule as task JSON shows it, or None."""
        if self.recurrence_rule is None:
            return None
        return {
            "rule": self.recurrence_rule,
            "text": self.recurrence_text,
            "from_completion": self.recurrence_from_completion,
        }

    # Loaded with the task (one extra SELECT for a page of tasks), so every adapter shows them.
    reminders: Mapped[list[Reminder]] = relationship(
        order_by="Reminder.id", lazy="selectin", viewonly=True
    )


class Reminder(Timestamped, Base):
    """A moment to tell the user about a task: at a time, or `before` its due time."""

    __tablename__ = "reminder"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'cancelled')", name="status_value"),
        Index("ix_reminder_task_id", "task_id"),
        # "Which reminders are due?": an index range over pending ones only, so its cost
        # follows the number due, not the number waiting.
        Index("ix_reminder_pending_at", "at", postgresql_where=text("status = 'pending'")),
        # Reminders that fired while no tab was open, shown on the next visit.
        Index(
            "ix_reminder_user_unseen",
            "user_id",
            "sent_at",
            postgresql_where=text("status = 'sent' AND seen_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    before: Mapped[timedelta | None] = mapped_column(Interval)
    status: Mapped[str] = mapped_column(String(9), server_default="pending")
    # New each time the reminder is armed: every attempt to deliver one firing carries it, so
    # receivers drop duplicates, and a job armed before a move finds it changed and does nothing.
    delivery_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TaskCompletion(Base):
    """A completed occurrence of a repeating task (the task itself moved on to the next one)."""

    __tablename__ = "task_completion"
    __table_args__ = (
        # "What have I completed this week?": a user's completions by time.
        Index("ix_task_completion_user_completed_at", "user_id", "completed_at"),
        Index("ix_task_completion_task_id", "task_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The task's number as the user knows it (task_id is the internal key).
    task_number: Mapped[int] = column_property(
        select(Task.number).where(Task.id == task_id).correlate_except(Task).scalar_subquery()
    )
