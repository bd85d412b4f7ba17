"""The home page: each role's work for today, as panels of numbers that the apps register.

Core knows no app. An app registers a *home panel* from its AppConfig.ready(): a name, a title,
the capability the panel's numbers need, the roles whose home page shows it, an order, and a
`build(request) -> PanelContent` callable that reads what it counts (selectors) and returns plain
data — numbers with their labels and the URL of the list behind each number. No view is
imported across apps.

The home page builds every panel of the signed-in person's role on the server, so the page and
every link on it work without JavaScript. Each panel also has its own small route
(`/home/panels/<slug>/`, guarded by the panel's capability and generated from this registry by
`panel_urlpatterns`), which the page asks for with htmx every minute to refresh that panel alone.

A panel's numbers are counts, never names or clinical text: the page shows how much work there
is, and the list behind each number (reached with its own capability, audited there) shows who.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_GET

from . import clock
from .capabilities import ALL_CAPABILITIES, MATRIX, Cap, capabilities_of, role_can
from .guards import requires

# Every panel refreshes itself this often (seconds) while the page is open.
REFRESH_SECONDS = 60


@dataclass(frozen=True)
class Figure:
    """One number on a panel, with what it counts in words and the list it comes from.

    `value` is what is shown (a count, or a text such as "14 min"); `url` the list behind it
    ("" when there is none, e.g. no location is set up); `hint` a few words under the label;
    `attention` marks a number that needs doing something about — shown with the word
    "needs attention", not by colour alone.
    """

    label: str
    value: int | str
    url: str = ""
    hint: str = ""
    attention: bool = False


@dataclass(frozen=True)
class Item:
    """A line of a panel's short list (e.g. one access anomaly), with where it leads."""

    text: str
    url: str
    hint: str = ""


@dataclass(frozen=True)
class Section:
    """Figures under one heading (one location of several); `heading` "" for a panel's only section."""

    figures: list[Figure]
    heading: str = ""


@dataclass(frozen=True)
class Choice:
    """A GET choice the panel offers above its numbers (which location), kept in the page's query."""

    name: str
    label: str
    options: list[tuple[str, str]]  # (value, text)
    selected: str


@dataclass
class PanelContent:
    """What a panel shows. `empty` replaces the numbers when there is nothing to count yet
    ("No location is set up"); `note` is one line under the title ("Main Street Clinic, Monday")."""

    sections: list[Section] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    items_more: Figure | None = None  # "All 12 anomalies" under the list
    note: str = ""
    empty: str = ""
    choice: Choice | None = None  # shown once above the panels (several panels share a location)
    wide: bool = False  # takes the whole width of the page (a block per location)


@dataclass
class PanelRequest:
    """What a panel's build gets: who, the page's query, the moment (read once per page) and a
    per-page memo so panels of one app share a lookup (the chosen location) instead of repeating it."""

    user: Any
    params: QueryDict
    now: datetime
    memo: dict[str, Any] = field(default_factory=dict)

    def shared(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]


Build = Callable[[PanelRequest], PanelContent]


@dataclass(frozen=True)
class HomePanel:
    name: str  # "scheduling.front_desk_today": the app, then the panel
    title: str
    capability: str
    roles: frozenset[str]
    order: int
    build: Build

    @property
    def slug(self) -> str:
        return self.name.replace(".", "-").replace("_", "-")

    @property
    def url_name(self) -> str:
        return f"home_panel_{self.slug.replace('-', '_')}"


_PANELS: dict[str, HomePanel] = {}


def register(
    *, name: str, title: str, capability: str, roles: set[str] | frozenset[str], order: int, build: Build
) -> None:
    """Add a panel to the home page of `roles`. Raises ValueError for an unknown capability or a
    role that does not hold it (its home page would show numbers whose lists it cannot open)."""
    if capability not in ALL_CAPABILITIES:
        raise ValueError(f"unknown capability {capability!r}")
    lacking = sorted(role for role in roles if not role_can(role, capability))
    if lacking:
        raise ValueError(f"panel {name!r}: {', '.join(lacking)} do not hold {capability}")
    _PANELS[name] = HomePanel(name, title, capability, frozenset(roles), order, build)


def panels() -> list[HomePanel]:
    """Every registered panel, in page order."""
    return sorted(_PANELS.values(), key=lambda p: (p.order, p.name))


def panels_for(role: str | None) -> list[HomePanel]:
    """The panels on `role`'s home page (none for an unknown role), in page order."""
    caps = capabilities_of(role)
    return [p for p in panels() if role in p.roles and p.capability in caps]


def _shown(panel: HomePanel, content: PanelContent, request: HttpRequest) -> dict:
    query = request.GET.urlencode()
    url = reverse(panel.url_name) + (f"?{query}" if query else "")
    return {"panel": panel, "content": content, "refresh_url": url, "dom_id": f"panel-{panel.slug}"}


@requires(Cap.ACCOUNT_SELF)
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in person's panels, built here so that the page works without JavaScript."""
    role = getattr(request.user, "role", None)
    asked = PanelRequest(user=request.user, params=request.GET, now=clock.now())
    shown = [_shown(panel, panel.build(asked), request) for panel in panels_for(role)]
    # One form above the panels for each choice they offer (the first panel's wording wins).
    choices: dict[str, Choice] = {}
    for item in shown:
        choice = item["content"].choice
        if choice is not None:
            choices.setdefault(choice.name, choice)
    hour = clock.local_now().hour
    context = {
        "panels": shown,
        "choices": list(choices.values()),
        "part_of_day": "morning" if hour < 12 else "afternoon" if hour < 18 else "evening",
        "today": clock.local_now(),
        "refresh_seconds": REFRESH_SECONDS,
    }
    return render(request, "core/home.html", context)


def _panel_view(panel: HomePanel) -> Callable[..., HttpResponse]:
    @require_GET
    def view(request: HttpRequest) -> HttpResponse:
        asked = PanelRequest(user=request.user, params=request.GET, now=clock.now())
        context = {**_shown(panel, panel.build(asked), request), "refresh_seconds": REFRESH_SECONDS}
        return render(request, "core/home.html#panel", context)

    view.__name__ = view.__qualname__ = f"home_panel_{panel.slug.replace('-', '_')}"
    view.__doc__ = f"The home panel {panel.title!r} alone (the page refreshes it with htmx)."
    return requires(panel.capability)(view)


def panel_urlpatterns() -> list[URLPattern]:
    """One route per registered panel, each guarded by its panel's capability. Called by the
    URLconf, which Django loads after every AppConfig.ready() has registered its panels."""
    return [path(f"home/panels/{p.slug}/", _panel_view(p), name=p.url_name) for p in panels()]


def roles_with_panels() -> dict[str, list[str]]:
    """Role -> names of its panels (for the docs and tests)."""
    return {role: [p.name for p in panels_for(role)] for role in MATRIX}
