"""Helpers the clinical tests share (fixtures are in conftest.py): sample ICD-10-CM codes, the
audit trail's head, and recalls.

A handful of real ICD-10-CM codes is loaded through the codes app's own loader by the `icd10`
fixture: categories and headers (not billable) and the billable codes below them.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from clinicdesk.audit.models import AuditEvent
from clinicdesk.clinical import recalls
from clinicdesk.clinical.models import Recall
from clinicdesk.codes.sources import CodeEntry
from clinicdesk.core import clock as app_clock
from clinicdesk.scheduling.booking import BookingInput, appointment_book

NY = ZoneInfo("America/New_York")

CODES = [
    CodeEntry("E11", "Type 2 diabetes mellitus", False, "", 4),
    CodeEntry("E11.6", "Type 2 diabetes mellitus with other specified complications", False, "E11", 4),
    CodeEntry("E11.65", "Type 2 diabetes mellitus with hyperglycemia", True, "E11.6", 4),
    CodeEntry("E11.9", "Type 2 diabetes mellitus without complications", True, "E11", 4),
    CodeEntry("I10", "Essential (primary) hypertension", True, "", 9),
    CodeEntry("J45", "Asthma", False, "", 10),
    CodeEntry("J45.90", "Unspecified asthma", False, "J45", 10),
    CodeEntry("J45.909", "Unspecified asthma, uncomplicated", True, "J45.90", 10),
    CodeEntry("R05", "Cough", False, "", 18),
    CodeEntry("R05.9", "Cough, unspecified", True, "R05", 18),
    CodeEntry("Z00.00", "Encounter for general adult medical examination without abnormal findings", True, "Z00.0", 21),
    CodeEntry("Z00", "Encounter for general examination without complaint", False, "", 21),
    CodeEntry("Z00.0", "Encounter for general adult medical examination", False, "Z00", 21),
    CodeEntry("M54.50", "Low back pain, unspecified", True, "M54.5", 13),
    CodeEntry("M54.5", "Low back pain", False, "M54", 13),
    CodeEntry("M54", "Dorsalgia", False, "", 13),
    CodeEntry("K21.9", "Gastro-esophageal reflux disease without esophagitis", True, "K21", 11),
    CodeEntry("K21", "Gastro-esophageal reflux disease", False, "", 11),
    CodeEntry("F41.1", "Generalized anxiety disorder", True, "F41", 5),
    CodeEntry("F41", "Other anxiety disorders", False, "", 5),
    CodeEntry("E78.5", "Hyperlipidemia, unspecified", True, "E78", 4),
    CodeEntry("E78", "Disorders of lipoprotein metabolism and other lipidemias", False, "", 4),
    CodeEntry("N39.0", "Urinary tract infection, site not specified", True, "N39", 14),
    CodeEntry("N39", "Other disorders of urinary system", False, "", 14),
    CodeEntry("R51", "Headache", False, "", 18),
    CodeEntry("R51.9", "Headache, unspecified", True, "R51", 18),
    CodeEntry("R10", "Abdominal and pelvic pain", False, "", 18),
    CodeEntry("R10.9", "Unspecified abdominal pain", True, "R10", 18),
]
BILLABLE = [
    "E11.9", "I10", "J45.909", "R05.9", "Z00.00", "M54.50", "K21.9", "F41.1", "E78.5", "N39.0", "E11.65", "R51.9",
    "R10.9",
]  # fmt: skip


def events_since(seq: int, **filters) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(seq__gt=seq, **filters).order_by("seq"))


def audit_head() -> int:
    last = AuditEvent.objects.order_by("-seq").first()
    return last.seq if last else 0


def new_recall(actor, rp, *, patient=None, kind=None, provider=None, due_on=None, interval="", **extra) -> Recall:
    if due_on is None and not interval:
        interval = "2 weeks"
    return recalls.recall_create(
        actor=actor,
        patient=patient or rp.jane,
        appointment_type=kind or rp.kind,
        provider=provider,
        due_on=due_on,
        interval=interval,
        reason=extra.pop("reason", "BP check"),
        **extra,
    )


def backdate(recall: Recall, due_on: date, *, created_days_ago: int = 30) -> Recall:
    """A recall made a while ago (the worklist's overdue rows), written straight to the table."""
    Recall.objects.filter(pk=recall.pk).update(
        due_on=due_on, created_at=app_clock.now() - timedelta(days=created_days_ago)
    )
    recall.refresh_from_db()
    return recall


def next_weekday_at(hour: int, *, days_ahead: int = 7) -> datetime:
    """A weekday at least `days_ahead` days from now, at `hour`:00 New York time, in UTC."""
    day = app_clock.today() + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour), tzinfo=NY).astimezone(ZoneInfo("UTC"))


def book(rp, *, patient=None, provider=None, kind=None, at=None):
    data = BookingInput(
        patient=patient or rp.jane,
        provider=provider or rp.provider,
        location=rp.location,
        appointment_type=kind or rp.kind,
        starts_at=at or next_weekday_at(10),
    )
    return appointment_book(actor=rp.actor, data=data, now=app_clock.now())
