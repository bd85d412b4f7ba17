"""The audit trail's panel on the home page (see core/home.py): access anomalies of the last seven
days for the privacy officer, by rule, with the newest findings each linked to the audit report
filtered to it. Usernames and counts only: no patient is named on the home page."""

from __future__ import annotations

from django.urls import reverse

from clinicdesk.core import home
from clinicdesk.core.capabilities import Cap, Role
from clinicdesk.core.datetimes import weekday_date_text
from clinicdesk.core.home import Figure, Item, PanelContent, PanelRequest, Section

from . import anomalies

ITEMS_SHOWN = 5


def access_anomalies(asked: PanelRequest) -> PanelContent:
    since, until, first = anomalies.period(asked.now)
    found = anomalies.anomalies_find(since=since, until=until)
    page = f"{reverse('audit:anomalies')}?days={anomalies.DEFAULT_DAYS}"
    figures = []
    for rule in anomalies.RULES:
        count = sum(1 for a in found if a.rule == rule)
        figures.append(Figure(anomalies.RULE_TITLES[rule], count, f"{page}#rule-{rule}", attention=count > 0))
    newest = sorted(found, key=lambda a: a.day, reverse=True)[:ITEMS_SHOWN]
    return PanelContent(
        sections=[Section(figures)],
        items=[Item(a.text, a.url) for a in newest],
        items_more=Figure(f"All {len(found)} findings, with what each rule looks for", len(found), page)
        if found
        else None,
        note=f"Since {weekday_date_text(first)}. Each finding opens the audit report filtered to it.",
    )


home.register(
    name="audit.anomalies",
    title="Access anomalies",
    capability=Cap.AUDIT_READ,
    roles={Role.AUDITOR},
    order=50,
    build=access_anomalies,
)
