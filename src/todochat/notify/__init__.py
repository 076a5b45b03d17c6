"""Reminders reach the user: the worker that fires them, the event stream, webhooks, email, and the
iCalendar feed."""
