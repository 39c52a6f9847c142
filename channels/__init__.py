"""Rasa input channels (Rasa adapters; the core in bot/ never imports these)."""
