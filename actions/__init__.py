"""Rasa custom actions: thin adapters from Rasa events to the Banter core (bot/).

The action server imports every submodule of this package, so each concern lives in
its own module: extraction, form validation, outcome, digressions.
"""
