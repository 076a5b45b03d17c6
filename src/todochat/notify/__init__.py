"""Delivery channels for reminders: webhooks, email, and the iCalendar feed."""
