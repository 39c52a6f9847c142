"""Rasa input channels (Rasa adapters; the core in bot/ never imports these).

Importing this package (Rasa does, for the socket.io channel in credentials.yml) also
installs cached JSON-schema validation in the Rasa server (see speedups.py).
"""

from channels.speedups import install

install()
