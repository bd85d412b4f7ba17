"""Views and endpoints stay thin: they load records through access_* and selectors only.

The views are found the way Django and the API find them, from the URLconf and the API
routers, not from file names: a view in `chart_views.py` or `list_api.py` counts as much as
one in `views.py`. Every module that holds a routed view is checked whole, so a private helper
beside the view cannot query a model on its behalf either.
"""

from __future__ import annotations

import inspect
import re
import sys
from types import ModuleType

from django.urls import URLPattern, URLResolver, get_resolver

# `.objects.none()` builds an empty form choice or result and reads nothing.
DIRECT_QUERY = re.compile(r"\.objects\b(?!\.none\(\))|\._default_manager\b|\.raw\(")


def _ninja_path_view(callback):
    for cell in getattr(callback, "__closure__", None) or ():
        if hasattr(cell.cell_contents, "operations"):
            return cell.cell_contents
    return None


def _view_functions(patterns):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _view_functions(entry.url_patterns)
        elif isinstance(entry, URLPattern):
            path_view = _ninja_path_view(entry.callback)
            if path_view is not None:
                for operation in path_view.operations:
                    yield inspect.unwrap(operation.view_func)
            else:
                yield inspect.unwrap(entry.callback)


def _view_modules() -> dict[str, ModuleType]:
    names = {getattr(view, "__module__", "") for view in _view_functions(get_resolver().url_patterns)}
    return {name: sys.modules[name] for name in sorted(names) if name.startswith("clinicdesk.")}


def _direct_queries(source: str) -> list[tuple[int, str]]:
    return [(n, line.strip()) for n, line in enumerate(source.splitlines(), start=1) if DIRECT_QUERY.search(line)]


def test_the_walk_finds_views_in_every_kind_of_module():
    modules = _view_modules()
    assert len(modules) >= 40
    for expected in (
        "clinicdesk.clinical.chart_views",
        "clinicdesk.clinical.list_api",
        "clinicdesk.scheduling.feed_views",
        "clinicdesk.scheduling.appointment_api",
        "clinicdesk.patients.views",
        "clinicdesk.core.views",
    ):
        assert expected in modules


def test_the_rule_catches_a_query_and_lets_an_empty_choice_through():
    source = (
        "a = Encounter.objects.get(pk=1)\nb = Location.objects.none()\nc = model._default_manager.filter(x=1)\n"
        "d = Patient.objects.none().union(Patient.objects.all())\n"
    )
    assert [n for n, _ in _direct_queries(source)] == [1, 3, 4]


def test_no_module_holding_a_view_or_endpoint_queries_a_model_directly():
    """A direct query in a view module would skip the capability check and the read audit."""
    offenders = [
        f"{name}:{number}: {line}"
        for name, module in _view_modules().items()
        for number, line in _direct_queries(inspect.getsource(module))
    ]
    assert offenders == [], "fetch through access_* (protected records) or selectors (the rest)"


def test_each_app_mounts_one_router_once():
    """clinicdesk/api.py mounts one router per app, the one its api.py gathers."""
    import ast
    from pathlib import Path

    tree = ast.parse((Path(__file__).resolve().parents[1] / "api.py").read_text())
    imported = {
        alias.asname or alias.name: node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }
    mounted = [
        imported[call.args[1].id]
        for call in ast.walk(tree)
        if isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "add_router"
        and isinstance(call.args[1], ast.Name)
    ]
    assert mounted and all(module.endswith(".api") for module in mounted), mounted
    assert len(mounted) == len(set(mounted)), mounted
