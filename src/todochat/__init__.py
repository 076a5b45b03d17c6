"""todochat: a todo list you manage by talking to it."""

__version__ = "0.1.0"
