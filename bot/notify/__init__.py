"""Notifications: iCalendar invites, emails, webhooks, and their delivery through the outbox."""
