"""Day and week calendars and the printed day. Server-rendered grids, no calendar script.

Filters are query parameters (location, date, provider), so every view is a plain link that
can be bookmarked and printed; "jump to date" is a GET form.
"""

from __future__ import annotations

import html
from datetime import date, timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.backends.utils import csrf_input
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from clinicdesk.accounts.http import StaffRequest
from clinicdesk.core import clock, ranges
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.core.guards import requires
from clinicdesk.core.ranges import Span

from . import calendar_grid
from . import selectors_calendar as cal
from .calendar_access import access_day_schedule, access_week_schedule
from .calendar_pdf import day_schedule_pdf
from .flow_views import chosen_location
from .models import Location


def _chosen_day(request: HttpRequest, location: Location | None) -> tuple[date, bool]:
    """The ?date= (YYYY-MM-DD), else today at the location; the flag says a given date was unreadable
    or outside the calendar's range (core.ranges: within ten years of today), which year 1 is."""
    today = clock.now().astimezone(cal.zone_of(location)).date() if location else clock.today()
    text = request.GET.get("date", "").strip()
    if not text:
        return today, False
    try:
        chosen = date.fromisoformat(text)
    except ValueError:
        return today, True
    if ranges.date_problem(chosen, Span.SCHEDULE, label="Date", today=today):
        return today, True
    return chosen, False


def _query(**values) -> str:
    return "?" + urlencode({k: v for k, v in values.items() if v not in (None, "", [])}, doseq=True)


@requires(Cap.SCHEDULE_READ)
@require_GET
def day_view(request: StaffRequest) -> HttpResponse:
    location = chosen_location(request)
    day, bad_date = _chosen_day(request, location)
    chosen = request.GET.getlist("provider")
    providers = cal.providers_named(public_ids=chosen) if chosen else None
    grid = None
    if location is not None:
        grid = access_day_schedule(actor=request.user, location=location, day=day, providers=providers, now=clock.now())
    loc = location.public_id if location else None
    here = reverse("scheduling_flow:day")
    context = {
        "grid": grid,
        "location": location,
        "locations": cal.active_locations(),
        "all_providers": calendar_grid.providers_at(location=location) if location else [],
        "chosen": set(chosen),
        "day": day,
        "bad_date": bad_date,
        "prev_url": here + _query(location=loc, date=(day - timedelta(days=1)).isoformat(), provider=chosen),
        "next_url": here + _query(location=loc, date=(day + timedelta(days=1)).isoformat(), provider=chosen),
        "today_url": here + _query(location=loc, provider=chosen),
        "pdf_url": reverse("scheduling_flow:day_pdf") + _query(location=loc, date=day.isoformat(), provider=chosen),
        "self_url": request.get_full_path(),
        "can_write": role_can(request.user.role, Cap.SCHEDULE_WRITE),
        "csrf_input": csrf_input(request),  # once, not a {% csrf_token %} per no-show form
        "now": clock.now(),
        "week_url": reverse("scheduling_flow:week"),
    }
    _columns_html(grid, request)
    return render(request, "scheduling/calendar_day.html", context)


@requires(Cap.SCHEDULE_READ)
@require_GET
def day_pdf(request: StaffRequest) -> HttpResponse:
    location = chosen_location(request)
    if location is None:
        return HttpResponse("No location is set up yet.", status=404, content_type="text/plain")
    day, _ = _chosen_day(request, location)
    chosen = request.GET.getlist("provider")
    providers = cal.providers_named(public_ids=chosen) if chosen else None
    grid = access_day_schedule(actor=request.user, location=location, day=day, providers=providers, printing=True)
    pdf = day_schedule_pdf(grid=grid, day=day, printed_at=clock.now())
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="schedule-{day.isoformat()}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@requires(Cap.SCHEDULE_READ)
@require_GET
def week_view(request: StaffRequest) -> HttpResponse:
    location = chosen_location(request)
    day, bad_date = _chosen_day(request, location)
    week_start = calendar_grid.week_start_of(day)
    providers = list(calendar_grid.providers_at(location=location)) if location else []
    chosen = cal.providers_named(public_ids=[request.GET.get("provider", "")])
    provider = chosen[0] if chosen else (providers[0] if providers else None)
    grid = None
    if location is not None and provider is not None:
        grid = access_week_schedule(
            actor=request.user, provider=provider, location=location, week_start=week_start, now=clock.now()
        )
    loc = location.public_id if location else None
    pid = provider.public_id if provider else None
    here = reverse("scheduling_flow:week")
    context = {
        "grid": grid,
        "location": location,
        "locations": cal.active_locations(),
        "all_providers": providers,
        "provider": provider,
        "day": day,
        "bad_date": bad_date,
        "week_start": week_start,
        "week_end": week_start + timedelta(days=6),
        "prev_url": here + _query(location=loc, provider=pid, date=(week_start - timedelta(days=7)).isoformat()),
        "next_url": here + _query(location=loc, provider=pid, date=(week_start + timedelta(days=7)).isoformat()),
        "today_url": here + _query(location=loc, provider=pid),
        "day_url": reverse("scheduling_flow:day"),
        "self_url": request.get_full_path(),
        "can_write": role_can(request.user.role, Cap.SCHEDULE_WRITE),
        "csrf_input": csrf_input(request),
        "now": clock.now(),
    }
    _columns_html(grid, request)
    return render(request, "scheduling/calendar_week.html", context)


def _columns_html(grid: calendar_grid.Grid | None, request: StaffRequest) -> None:
    """Build each column's body once in Python (hundreds of blocks and open times a day view),
    every value escaped; the template prints `column.body_html`. Same markup as before."""
    if grid is None:
        return
    can_write = role_can(request.user.role, Cap.SCHEDULE_WRITE)
    csrf, self_url = csrf_input(request), request.get_full_path()
    e = html.escape
    fill = f'<div class="cal-fill cal-row-1 cal-span-{grid.rows}"></div>'
    hours = "".join(f'<div class="cal-hour cal-row-{h.row} cal-span-12" aria-hidden="true"></div>' for h in grid.hours)
    back = f'<input type="hidden" name="next" value="{e(self_url)}">'
    for column in grid.columns:
        parts = [fill, hours]
        title = e(column.title)
        if can_write:
            parts += [
                f'<a class="cal-open cal-row-{s.row} cal-span-{s.span}" href="{e(s.url)}" '
                f'title="Book {title} at {s.label}">Book {s.label}</a>'
                for s in column.open_slots
            ]
        for b in column.blocks:
            no_show = ""
            if can_write and b.no_show_url:
                no_show = (
                    f'<form method="post" action="{e(b.no_show_url)}">{csrf}{back}<button type="submit" '
                    f'class="small" title="Mark {e(b.label)} a no-show">No-show</button></form>'
                )
            parts.append(
                f'<article class="cal-appt {e(b.css)}" title="{e(b.title)}"><svg class="cal-swatch" viewBox="0 0 1 1" '
                f'preserveAspectRatio="none" aria-hidden="true" focusable="false"><rect width="1" height="1" '
                f'fill="{e(b.color)}"/></svg>{no_show}<a href="{e(b.url)}">{e(b.time_label)} {e(b.label)}</a>'
                f'<span class="cal-meta">{e(b.type_line)}</span><span class="cal-meta">{e(b.meta)}</span></article>'
            )
        column.body_html = mark_safe("".join(parts))  # noqa: S308 (every value above is escaped)
