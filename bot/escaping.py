"""Visitor text made safe for where staff read it: spreadsheets (CSV) and Slack.

A company called `=HYPERLINK("http://evil","x")` must not become a live formula in the
console's CSV downloads (OWASP "CSV injection"), and `<!channel>` or `<http://x|click>`
typed in the chat must not notify a channel or become a link in Slack (Slack's
formatting guide: escape &, < and >).
"""

from __future__ import annotations

import re
from typing import Any

#: First characters that make Excel, LibreOffice or Google Sheets read a cell as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def csv_cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet shows as text: formula-like strings get a leading apostrophe.

    A lone "-" (the console's "none") and plain signed numbers stay as they are: neither runs.
    """
    if (
        isinstance(value, str)
        and value.startswith(_FORMULA_START)
        and value not in ("-", "+")
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def slack_text(value: Any) -> str:
    """Text for Slack mrkdwn: &, < and > escaped so visitor text cannot mention or link."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


__all__ = ["csv_cell", "slack_text"]
