"""Banter's web app: signed meeting links, transcripts (later the widget and console)."""
