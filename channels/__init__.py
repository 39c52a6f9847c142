"""Rasa input channels (Rasa adapters; the core in bot/ never imports these).

Importing this package (Rasa does, for the socket.io channel in credentials.yml) also
installs, in the Rasa server: cached JSON-schema validation (speedups.py), a deadline on
action-server calls with an answer for a turn that cannot be completed (turns.py), and
the refusal to start without the tracker and lock stores (store_guard.py).
"""

import os

from bot.settings import action_timeout
from channels import speedups, store_guard, turns

speedups.install()
turns.install(action_timeout(os.environ))
store_guard.install()
