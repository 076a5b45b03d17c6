"""The chat suite's app factory, for the security tests that run turns."""

from tests.chat.conftest import make_app

__all__ = ["make_app"]
