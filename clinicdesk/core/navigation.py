"""The left-hand navigation, built from capabilities so each role sees only its own work."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from .capabilities import Cap


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    capability: str


# Later apps add their entries here, in the order the office works.
NAV: tuple[NavItem, ...] = (
    NavItem("Home", "home", Cap.ACCOUNT_SELF),
    NavItem("Find patient", "patient_search:search", Cap.PATIENT_DEMOGRAPHICS_READ),
    NavItem("Register patient", "patients:new", Cap.PATIENT_DEMOGRAPHICS_WRITE),
    NavItem("Schedule", "scheduling_flow:day", Cap.SCHEDULE_READ),
    NavItem("Flow board", "scheduling_flow:board", Cap.SCHEDULE_READ),
    NavItem("Confirmations", "scheduling:confirmations", Cap.SCHEDULE_READ),
    NavItem("Waitlist", "scheduling:waitlist", Cap.SCHEDULE_READ),
    # A name that does not resolve (a page not built yet) is skipped by navigation_for.
    NavItem("Today's visits", "clinical:today", Cap.CLINICAL_NOTE_WRITE),
    NavItem("Recalls", "clinical:recalls", Cap.CLINICAL_RECALL_WORK),
    NavItem("Import patients", "patients:import", Cap.PATIENT_IMPORT),
    NavItem("Payers", "payers:list", Cap.BILLING_PAYER_MANAGE),
    NavItem("Find a slot", "scheduling_setup:slots", Cap.SCHEDULE_WRITE),
    NavItem("Practice setup", "scheduling_setup:index", Cap.SCHEDULE_SETUP),
    NavItem("Staff", "accounts:staff_list", Cap.STAFF_MANAGE),
    NavItem("Emergency access review", "accounts:emergency_review", Cap.EMERGENCY_REVIEW),
    NavItem("Audit report", "audit:report", Cap.AUDIT_READ),
    NavItem("Patient access report", "audit:patient_access", Cap.AUDIT_READ),
    NavItem("My account", "accounts:my_account", Cap.ACCOUNT_SELF),
)


def navigation_for(caps: frozenset[str], current_path: str) -> list[dict]:
    items = []
    for item in NAV:
        if item.capability not in caps:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        current = url == current_path if item.url_name == "home" else current_path.startswith(url)
        items.append({"label": item.label, "url": url, "current": current})
    # "/patients/" (Find patient) is a prefix of "/patients/new/": only the longest match is current.
    longest = max((len(str(i["url"])) for i in items if i["current"]), default=0)
    for entry in items:
        entry["current"] = bool(entry["current"]) and len(str(entry["url"])) == longest
    return items
