"""House rules that a reviewer would otherwise have to remember: each one checks the whole tree."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
IGNORE = re.compile(r"type:\s*ignore(?P<code>\[[^\]]*\])?(?P<rest>.*)$")
# The only places that may mark markup safe. The two views build their HTML from escaped values
# only, for speed on pages polled every few seconds, and say so beside the call; the form field
# template shows help texts, which are written in the code (Django's password rules are a list).
MARK_SAFE_ALLOWED = {
    "scheduling/flow_views.py",
    "scheduling/calendar_views.py",
    "templates/allauth/elements/fields.html",
}
MARK_SAFE = re.compile(r"\bmark_safe\(|\bSafeString\(|\|\s*safe\b|{%\s*autoescape\s+off")


def _sources(*suffixes: str):
    for path in PACKAGE.rglob("*"):
        if path.suffix in suffixes and "migrations" not in path.parts and path.is_file():
            yield path


def _unexplained_ignores(source: str) -> list[int]:
    lines = []
    for number, line in enumerate(source.splitlines(), start=1):
        found = IGNORE.search(line)
        if found and (not found["code"] or not re.match(r"\s*#\s*\S", found["rest"])):
            lines.append(number)
    return lines


def test_the_ignore_rule_wants_a_code_and_a_reason():
    marker = "type: " + "ignore"  # spelled apart so this file does not trip its own rule
    source = f"a = 1  # {marker}\nb = 2  # {marker}[attr-defined]\nc = 3  # {marker}[attr-defined]  # stubs lack it\n"
    assert _unexplained_ignores(source) == [1, 2]


def test_every_type_ignore_names_its_code_and_says_why():
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{number}"
        for path in _sources(".py")
        for number in _unexplained_ignores(path.read_text())
    ]
    assert offenders == [], "write `# type: ignore[code]  # why`"


def test_markup_is_marked_safe_only_in_the_allowed_places():
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in _sources(".py", ".html")
        if "tests" not in path.parts and MARK_SAFE.search(path.read_text())
    ]
    assert sorted(set(offenders) - MARK_SAFE_ALLOWED) == []
