"""Reading the home page as a person reads it: the panels, and each number with its label and link.

A helper for the home tests of every app (not a fixture): `panels(html)` maps each panel's title
to its figures, `figure(html, title, label)` finds one.
"""

from __future__ import annotations

import html as htmllib
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Shown:
    label: str
    value: str  # as shown: "3", "18 min", "—"
    url: str  # "" for a number without a list
    attention: bool


_PANEL = re.compile(
    r'<section class="card home-panel[^"]*" id="panel-[^"]+".*?<h2 id="[^"]+">(?P<title>[^<]+)</h2>(?P<body>.*?)</section>',
    re.S,
)
_FIGURE = re.compile(
    r'<li class="home-figure(?P<attention> home-figure-attention)?">\s*'
    r'(?:<a class="home-figure-link" id="[^"]+" href="(?P<url>[^"]*)">|<span class="home-figure-link">)\s*'
    r'<span class="home-number">(?P<value>[^<]*)</span>\s*<span class="home-label">(?P<label>[^<]*)</span>',
    re.S,
)


def panels(page: str) -> dict[str, list[Shown]]:
    """Panel title -> its figures, in page order."""
    found: dict[str, list[Shown]] = {}
    for panel in _PANEL.finditer(page):
        found[htmllib.unescape(panel["title"])] = [
            Shown(
                htmllib.unescape(f["label"]).strip(),
                htmllib.unescape(f["value"]).strip(),
                htmllib.unescape(f["url"] or ""),
                bool(f["attention"]),
            )
            for f in _FIGURE.finditer(panel["body"])
        ]
    return found


def figure(page: str, title: str, label: str) -> Shown:
    """The figure `label` of the panel `title` (KeyError naming what is there when missing)."""
    shown = panels(page)
    for item in shown.get(title, []):
        if item.label == label:
            return item
    raise KeyError(f"no {label!r} in panel {title!r}; the page has {shown}")
