"""One family of domain errors; every adapter (HTTP, MCP, CLI) translates it once."""

from __future__ import annotations


class TodochatError(Exception):
    """A failure the user can understand and act on."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(TodochatError):
    """The thing does not exist, or belongs to someone else (never say which)."""

    status_code = 404
    code = "not_found"


class TaskNotFound(NotFound):
    """No task with this id in the user's list."""

    def __init__(self, task_id: int) -> None:
        super().__init__(f"Task {task_id} not found.")
        self.task_id = task_id


class ConversationNotFound(NotFound):
    """No conversation with this id for the user."""

    def __init__(self, conversation_id: int) -> None:
        super().__init__(f"Conversation {conversation_id} not found.")


class InvalidInput(TodochatError):
    """The request is well-formed but a value is not acceptable."""

    status_code = 422
    code = "validation_error"


class Unauthorized(TodochatError):
    """No valid credentials."""

    status_code = 401
    code = "unauthorized"


class AccountGone(Unauthorized):
    """A valid token for an account that has been deleted: refused on every surface alike."""

    def __init__(self) -> None:
        super().__init__("This account no longer exists.")


class Forbidden(TodochatError):
    """Valid credentials for someone else."""

    status_code = 403
    code = "forbidden"


class Conflict(TodochatError):
    """The request clashes with the current state."""

    status_code = 409
    code = "conflict"


class EmailTaken(Conflict):
    """Signup with an email that already has an account."""

    code = "email_taken"

    def __init__(self) -> None:
        super().__init__("An account with this email already exists.")


class ConversationBusy(Conflict):
    """Another turn of this conversation is still running."""

    code = "conversation_busy"

    def __init__(self) -> None:
        super().__init__(
            "This conversation is still answering your previous message; try again in a moment."
        )


class NotEditable(Conflict):
    """The last message's answer stands, so the message cannot be edited."""

    code = "not_editable"

    def __init__(self) -> None:
        super().__init__(
            "Only your last message can be edited, and only when its answer failed or was "
            "stopped before it changed anything; send a new message instead."
        )


class RateLimited(TodochatError):
    """Too many requests in a window."""

    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ModelUnavailable(TodochatError):
    """The language model failed (a retry may help); the user's message is kept.

    `cause` is for the operator's log (what failed and which setting to check); the message is
    for the user.
    """

    status_code = 503
    code = "model_unavailable"

    def __init__(
        self, message: str, conversation_id: int | None = None, *, cause: str = ""
    ) -> None:
        super().__init__(message)
        # The turn may have created the conversation: the client continues in it.
        self.conversation_id = conversation_id
        self.cause = cause or message


class ModelMisconfigured(ModelUnavailable):
    """The server's model settings are wrong (bad key, unknown model): retrying cannot help."""

    code = "model_misconfigured"


class TooManySteps(ModelUnavailable):
    """The request needed more agent steps than allowed: the same request would fail again."""

    code = "too_many_steps"


class DatabaseUnavailable(TodochatError):
    """PostgreSQL could not be reached or stopped answering; the request may be retried."""

    status_code = 503
    code = "database_unavailable"
    retry_after = 2

    def __init__(
        self,
        message: str = "The database is unreachable right now; try again in a few seconds.",
        conversation_id: int | None = None,
    ) -> None:
        super().__init__(message)
        # A turn may have created the conversation: the client retries in it.
        self.conversation_id = conversation_id


class IssuerUnavailable(TodochatError):
    """The external token issuer's keys could not be fetched; the request may be retried."""

    status_code = 503
    code = "issuer_unavailable"
    retry_after = 5
