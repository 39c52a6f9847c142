"""Banter core: parsing, playbook, scoring, storage. Importable without Rasa."""

__version__ = "0.1.0"
