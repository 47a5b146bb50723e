"""Plain text from a widget's HTML readout: what tests read and what a headless run prints."""

from __future__ import annotations

import html


def plain_text(markup: str) -> str:
    """`markup` without its tags, line breaks as "; ", entities decoded."""
    text = markup.replace("<br>", "; ")
    while "<" in text and ">" in text:
        start = text.index("<")
        text = text[:start] + text[text.index(">", start) + 1:]
    return html.unescape(text)
