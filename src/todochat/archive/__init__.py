"""The user's data as a file: export everything, import an export or a Todoist CSV."""
