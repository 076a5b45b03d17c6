"""The scopes an OAuth client can be granted, and what they let it do."""

from __future__ import annotations

READ = "tasks:read"
WRITE = "tasks:write"
ALL = (READ, WRITE)
# What the consent page tells the user each scope allows.
DESCRIPTIONS = {
    READ: "See your tasks",
    WRITE: "Add, change, complete and delete your tasks",
}
