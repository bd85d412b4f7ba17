"""House rules that a reviewer would otherwise have to remember: each one checks the whole tree."""

from __future__ import annotations

import ast
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


def _imported_test_modules(path: Path) -> list[str]:
    """The test modules (`test_*`) that `path` imports, by dotted or relative name."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            if _names_a_test_module(module):
                found.append(module)
            else:
                found += [f"{module}.{a.name}".replace("..", ".") for a in node.names if a.name.startswith("test_")]
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if _names_a_test_module(alias.name)]
    return found


def _names_a_test_module(dotted: str) -> bool:
    return any(part.startswith("test_") for part in dotted.split("."))


def test_the_import_rule_sees_dotted_relative_and_module_imports(tmp_path):
    module = tmp_path / "test_x.py"
    module.write_text("from .test_a import f\nfrom . import test_b\nimport pkg.tests.test_c\nfrom .helpers import g\n")
    assert _imported_test_modules(module) == [".test_a", ".test_b", "pkg.tests.test_c"]


def test_no_test_module_imports_another_test_module():
    """Fixtures live in conftest.py files and helpers in tests/helpers.py or tests/factories.py."""
    offenders = {
        str(path.relative_to(PACKAGE.parent)): imported
        for path in _sources(".py")
        if "tests" in path.parts and (imported := _imported_test_modules(path))
    }
    assert offenders == {}


# No module grows past about 500 lines: past that, split it by what it does (docs/development.md).
# These are still too long; each may shrink but not grow, and leaves this list once split.
MODULE_LINES = 550
LONG_MODULES = {
    "patients/models.py": 760,
    "scheduling/waitlist.py": 700,
    "patients/paperwork.py": 670,
    "scheduling/availability.py": 620,
    "scheduling/models.py": 620,
    "scheduling/slots.py": 590,
}


def test_no_module_grows_past_about_500_lines():
    too_long = {}
    for path in _sources(".py"):
        if "tests" in path.parts:
            continue
        name = str(path.relative_to(PACKAGE))
        lines = len(path.read_text().splitlines())
        if lines > LONG_MODULES.get(name, MODULE_LINES):
            too_long[name] = lines
    assert too_long == {}, "split these by what they do (docs/development.md, 'Where a new feature goes')"
