"""Follow-ups that come back to the front desk: recalls, their worklist, and booking closing them.

Rules (docs/clinical-recalls.md says the same for people):

- A recall is created by a clinician or nurse (clinical.note.write) from a visit's plan, "return
  in 2 weeks for BP check": an appointment type, a due date (or an interval counted from the
  visit's date of service, or from today without a visit), a short reason and optionally the
  provider to see. The reason is a few words, never narrative: the front desk reads it.
- The due date is never before the visit it came from (or before today, without a visit), and
  at most five years ahead. A plan documented late for an old visit may therefore be due
  already: it appears overdue at once, which is the truth.
- Overdue is derived (open and due before today), never stored. So is "needs rebooking": a
  scheduled recall whose appointment was cancelled or was a no-show. It is open again for the
  worklist and the next matching booking picks it up.
- The front desk logs contact attempts (due -> contacted) and closes a recall with a reason.
  A recall never scheduled stays on the worklist until it is closed.
- Booking an appointment of the recall's type for the patient (with the recall's provider when
  it names one), on or after the day the recall was made, marks the oldest open recall
  scheduled with the appointment linked, inside the booking's own transaction.
- Audit events name public ids and field names only; never the reason or contact text.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from clinicdesk.accounts.models import EmergencyAccess, RestrictedRecord, User
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.core import clock
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.core.datetimes import date_text
from clinicdesk.core.errors import Conflict
from clinicdesk.patients.models import Patient
from clinicdesk.scheduling.models import Appointment, AppointmentStatus, AppointmentType, Location, Provider

from .models import Encounter, Recall, RecallStatus

OPEN_STATUSES = (RecallStatus.DUE, RecallStatus.CONTACTED)
# An appointment in one of these no longer keeps its recall: the recall needs rebooking.
LOST_APPOINTMENT = (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW)
MAX_AHEAD_DAYS = 5 * 366
TEXT_LIMIT = 200

_INTERVAL = re.compile(r"^\s*(\d{1,4})\s*(d|days?|w|wks?|weeks?|m|mos?|months?|y|yrs?|years?)\s*$", re.IGNORECASE)
_UNIT = {"d": "days", "w": "weeks", "m": "months", "y": "years"}
INTERVAL_HELP = 'A number and a unit: "10 days", "2 weeks", "3 months" or "1 year".'


# --- Small helpers ---------------------------------------------------------------------------


def _text(value: str | None, *, field: str, required: str = "") -> str:
    """`value` stripped; ValidationError on `field` when too long, holding a NUL, or blank but `required`."""
    text = (value or "").strip()
    if "\x00" in text:
        raise ValidationError({field: "Remove the invisible control character from this field."})
    if len(text) > TEXT_LIMIT:
        raise ValidationError({field: f"Keep this under {TEXT_LIMIT + 1} characters (it has {len(text)})."})
    if required and not text:
        raise ValidationError({field: required})
    return text


def add_months(day: date, months: int) -> date:
    """`day` plus `months` calendar months; the 31st lands on the month's last day (Jan 31 + 1 = Feb 28/29)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def interval_due(text: str, start: date) -> date:
    """The date `text` ("2 weeks", "3 months", "1 year", "10 days") after `start`.

    ValidationError on `interval` for anything else, for zero, and for more than five years.
    """
    match = _INTERVAL.match(text or "")
    if not match:
        raise ValidationError({"interval": f'"{(text or "").strip()[:40]}" is not an interval. {INTERVAL_HELP}'})
    count, unit = int(match.group(1)), _UNIT[match.group(2)[0].lower()]
    if count == 0:
        raise ValidationError({"interval": "The interval must be at least 1 day."})
    limits = {"days": MAX_AHEAD_DAYS, "weeks": 5 * 53, "months": 60, "years": 5}
    if count > limits[unit]:
        raise ValidationError({"interval": "A recall can be at most five years ahead."})
    if unit == "days":
        return start + timedelta(days=count)
    if unit == "weeks":
        return start + timedelta(weeks=count)
    return add_months(start, count if unit == "months" else 12 * count)


def _locked(recall: Recall) -> Recall:
    return (
        Recall.objects.select_for_update(of=("self",))
        .select_related("patient", "appointment_type", "provider__user", "appointment")
        .get(pk=recall.pk)
    )


def needs_rebooking(recall: Recall) -> bool:
    """True for a scheduled recall whose appointment was cancelled or was a no-show."""
    return (
        recall.status == RecallStatus.SCHEDULED
        and recall.appointment is not None
        and recall.appointment.status in LOST_APPOINTMENT
    )


# --- Writes ----------------------------------------------------------------------------------


@transaction.atomic
def recall_create(
    *,
    actor: User,
    patient: Patient,
    appointment_type: AppointmentType | None,
    reason: str,
    due_on: date | None = None,
    interval: str = "",
    encounter: Encounter | None = None,
    provider: Provider | None = None,
    today: date | None = None,
) -> Recall:
    """Create a due recall: "return in `interval` (or on `due_on`) for `reason`".

    Give `due_on` or `interval`, not both; an interval counts from the encounter's date of
    service (from `today` without an encounter). The encounter must be the patient's; the
    provider, when named, must be active and see patients for the appointment type (or no
    booking could ever match). PermissionDenied without clinical.note.write; ValidationError
    naming each field that is wrong, all at once.
    """
    if not role_can(actor.role, Cap.CLINICAL_NOTE_WRITE):
        raise PermissionDenied(Cap.CLINICAL_NOTE_WRITE)
    today = today or clock.today()
    errors: dict[str, list[str]] = {}

    def collect(exc: ValidationError) -> None:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)

    try:
        reason = _text(reason, field="reason", required='Say what the follow-up is for, e.g. "BP check".')
    except ValidationError as exc:
        collect(exc)
    if encounter is not None and encounter.patient_id != patient.pk:
        errors["encounter"] = ["This visit belongs to another patient."]
        encounter = None
    if appointment_type is None or not appointment_type.active:
        errors["appointment_type"] = ["Choose an active appointment type for the follow-up visit."]
    if provider is not None:
        if not provider.active:
            errors["provider"] = ["This provider is no longer active; choose another or leave it blank."]
        elif appointment_type is not None and not appointment_type.providers.filter(pk=provider.pk).exists():
            errors["provider"] = [f"{provider.display_name} does not see patients for {appointment_type.name}."]
    start = encounter.date_of_service if encounter is not None else today
    interval = (interval or "").strip()
    due: date | None = None
    if due_on is not None and interval:
        errors["interval"] = ["Give either a due date or an interval, not both."]
    elif interval:
        try:
            due = interval_due(interval, start)
        except ValidationError as exc:
            collect(exc)
    elif due_on is not None:
        earliest = min(start, today)
        if due_on < earliest:
            errors["due_on"] = [
                f"The due date cannot be before {'the visit' if encounter is not None else 'today'} "
                f"({date_text(earliest)})."
            ]
        elif due_on > today + timedelta(days=MAX_AHEAD_DAYS):
            errors["due_on"] = ["A recall can be at most five years ahead."]
        else:
            due = due_on
    else:
        errors["due_on"] = ['Give a due date, or an interval such as "2 weeks".']
    if errors:
        raise ValidationError(errors)
    assert due is not None and appointment_type is not None  # noqa: S101  (narrowing: errors were raised)
    recall = Recall.objects.create(
        patient=patient,
        encounter=encounter,
        appointment_type=appointment_type,
        provider=provider,
        due_on=due,
        reason=reason,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        object_type=ObjectType.RECALL,
        object_id=recall.public_id,
        patient_id=recall.patient.mrn,
        changed_fields=[
            "appointment_type",
            "due_on",
            "reason",
            *(["provider"] if provider else []),
            *(["encounter"] if encounter else []),
        ],
        detail=f"from encounter {encounter.public_id}" if encounter is not None else "",
    )
    return recall


@transaction.atomic
def recall_log_contact(*, actor: User, recall: Recall, note: str) -> Recall:
    """Record a contact attempt ("left voicemail"): the recall becomes contacted.

    The latest attempt is kept on the recall; every attempt is an audit event (who, when).
    Conflict when the recall is scheduled (and its appointment holds) or closed.
    """
    note = _text(note, field="note", required='Say how the patient was contacted, e.g. "left voicemail".')
    recall = _locked(recall)
    if recall.status == RecallStatus.CLOSED:
        raise Conflict({"note": ["This recall is closed; there is nothing to follow up."]})
    if recall.status == RecallStatus.SCHEDULED and not needs_rebooking(recall):
        raise Conflict({"note": ["This recall is scheduled already."]})
    fields = ["status", "contacted_at", "contacted_by", "contact_note"]
    if needs_rebooking(recall):
        # Its appointment was lost: the recall is open again, and the contact is about rebooking.
        recall.appointment = None
        fields.append("appointment")
    recall.status = RecallStatus.CONTACTED
    recall.contacted_at, recall.contacted_by, recall.contact_note = clock.now(), actor, note
    recall.save(update_fields=fields)
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        object_type=ObjectType.RECALL,
        object_id=recall.public_id,
        patient_id=recall.patient.mrn,
        changed_fields=fields,
        detail="contact attempt logged",
    )
    return recall


@transaction.atomic
def recall_close(*, actor: User, recall: Recall, reason: str) -> Recall:
    """Close a recall that will not be booked ("patient declined", "moved away"); the reason is required.

    Conflict when it is closed already. A scheduled recall may be closed too (the office
    decides the follow-up is done); its appointment stays linked.
    """
    reason = _text(reason, field="reason", required='Say why the recall is closed, e.g. "patient declined".')
    recall = _locked(recall)
    if recall.status == RecallStatus.CLOSED:
        raise Conflict({"reason": ["This recall is closed already."]})
    recall.status = RecallStatus.CLOSED
    recall.closed_at, recall.closed_by, recall.closed_reason = clock.now(), actor, reason
    fields = ["status", "closed_at", "closed_by", "closed_reason"]
    recall.save(update_fields=fields)
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        object_type=ObjectType.RECALL,
        object_id=recall.public_id,
        patient_id=recall.patient.mrn,
        changed_fields=fields,
    )
    return recall


def _booking_candidates(appointment: Appointment) -> QuerySet[Recall]:
    holding_lost = Q(status=RecallStatus.SCHEDULED, appointment__status__in=LOST_APPOINTMENT)
    return (
        Recall.objects.filter(patient_id=appointment.patient_id, appointment_type_id=appointment.appointment_type_id)
        .filter(Q(provider__isnull=True) | Q(provider_id=appointment.provider_id))
        .filter(Q(status__in=OPEN_STATUSES) | holding_lost)
        .order_by("due_on", "created_at", "pk")
    )


_PROBE_SQL = "SELECT 1 FROM clinical_recall WHERE patient_id = %s AND appointment_type_id = %s AND status <> %s LIMIT 1"


def _may_have_recall(appointment: Appointment) -> bool:
    """Whether the patient has any recall of the type that is not closed: one indexed probe.

    Every booking asks, and most patients have no recall; plain SQL, as building the full
    match query through the ORM cost a booking more than the rest of its checks.
    """
    with connection.cursor() as cursor:
        cursor.execute(_PROBE_SQL, [appointment.patient_id, appointment.appointment_type_id, RecallStatus.CLOSED.value])
        return cursor.fetchone() is not None


def recall_match_booking(*, actor: User | None, appointment: Appointment) -> Recall | None:
    """Mark the oldest open recall the new `appointment` fulfils as scheduled; None when none matches.

    Called inside the booking's transaction (scheduling's `appointment_booked` signal), so the
    change commits or rolls back with the booking. Matching: same patient, same appointment
    type, the recall's provider (when it names one) is the appointment's, and the appointment
    is on or after the day the recall was made. Open means due, contacted, or scheduled with an
    appointment since cancelled or missed (needs rebooking).
    """
    if not _may_have_recall(appointment):
        return None
    local_day = timezone.localtime(appointment.starts_at).date()
    candidates = [
        r for r in _booking_candidates(appointment).select_related("appointment")
        if timezone.localtime(r.created_at).date() <= local_day
    ]  # fmt: skip
    if not candidates:
        return None
    recall = _locked(candidates[0])
    recall.status = RecallStatus.SCHEDULED
    recall.appointment = appointment
    recall.save(update_fields=["status", "appointment"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        object_type=ObjectType.RECALL,
        object_id=recall.public_id,
        patient_id=recall.patient.mrn,
        changed_fields=["status", "appointment"],
        detail=f"scheduled by booking appointment {appointment.public_id}",
    )
    return recall


def setup_row(model: type[AppointmentType] | type[Provider] | type[Location], field: str, public_id: Any) -> Any:
    """The practice-setup row of `model` (type, provider, location) with `public_id`, None for None;
    ValidationError naming `field` when there is none (the API's 422)."""
    if public_id is None:
        return None
    found = model.objects.filter(public_id=public_id).first()  # type: ignore[attr-defined]  # every model passed here has a public_id; the TypeVar is bound to Model
    if found is None:
        raise ValidationError({field: [f"No {model._meta.verbose_name} has this id."]})
    return found


# --- Reads: the worklist ---------------------------------------------------------------------


class View:
    """The worklist's views of recalls (the `state` filter)."""

    OPEN = "open"  # due, contacted, needs rebooking: what the front desk still has to do
    DUE = "due"
    OVERDUE = "overdue"
    CONTACTED = "contacted"
    NEEDS_REBOOKING = "needs_rebooking"
    SCHEDULED = "scheduled"
    CLOSED = "closed"
    ALL = "all"

    CHOICES = (
        (OPEN, "Open (to do)"),
        (DUE, "Due (not yet contacted)"),
        (OVERDUE, "Overdue"),
        (CONTACTED, "Contacted"),
        (NEEDS_REBOOKING, "Needs rebooking"),
        (SCHEDULED, "Scheduled"),
        (CLOSED, "Closed"),
        (ALL, "All"),
    )
    VALUES = tuple(value for value, _label in CHOICES)


@dataclass(frozen=True)
class WorklistFilters:
    state: str = View.OPEN
    location: Location | None = None
    provider: Provider | None = None
    appointment_type: AppointmentType | None = None
    due_from: date | None = None
    due_to: date | None = None
    created_by: User | None = None  # only the follow-ups this person added
    created_on: date | None = None  # only those added on this day (the practice's day)


@dataclass(frozen=True)
class WorklistRow:
    recall: Recall
    state: str  # one of View's values except open/all: due, overdue, contacted, needs_rebooking, ...
    state_label: str
    days_overdue: int  # 0 unless open and past its due date
    phone: str


@dataclass(frozen=True)
class Worklist:
    rows: list[WorklistRow]
    total: int  # rows matching the filters (all pages), restricted ones excluded
    restricted_hidden: int  # matching recalls of restricted records the viewer may not open
    page: int
    pages: int

    @property
    def patient_mrns(self) -> list[str]:
        return list(dict.fromkeys(row.recall.patient.mrn for row in self.rows))


PAGE_SIZE = 50  # a page a person can scan; a long list is paged, never one 15,000 px table
_PHONE_ORDER = ("mobile", "home", "work")


def recall_state(recall: Recall, today: date) -> tuple[str, str, int]:
    """(state, label, days overdue) of `recall` on `today`: the derived view of its stored status."""
    if recall.status == RecallStatus.CLOSED:
        return View.CLOSED, "Closed", 0
    if recall.status == RecallStatus.SCHEDULED:
        if needs_rebooking(recall):
            assert recall.appointment is not None  # noqa: S101  (needs_rebooking checked it)
            return View.NEEDS_REBOOKING, f"Needs rebooking ({recall.appointment.get_status_display().lower()})", 0
        return View.SCHEDULED, "Scheduled", 0
    late = (today - recall.due_on).days
    contacted = recall.status == RecallStatus.CONTACTED
    if late > 0:
        return View.OVERDUE, "Contacted, overdue" if contacted else "Overdue", late
    return (View.CONTACTED, "Contacted", 0) if contacted else (View.DUE, "Due", 0)


def _state_filter(rows: QuerySet[Recall], state: str, today: date) -> QuerySet[Recall]:
    lost = Q(status=RecallStatus.SCHEDULED, appointment__status__in=LOST_APPOINTMENT)
    if state == View.OPEN:
        return rows.filter(Q(status__in=OPEN_STATUSES) | lost)
    if state == View.DUE:
        return rows.filter(status=RecallStatus.DUE)
    if state == View.OVERDUE:
        return rows.filter(overdue_q(today))
    if state == View.CONTACTED:
        return rows.filter(status=RecallStatus.CONTACTED)
    if state == View.NEEDS_REBOOKING:
        return rows.filter(lost)
    if state == View.SCHEDULED:
        return rows.filter(status=RecallStatus.SCHEDULED).exclude(appointment__status__in=LOST_APPOINTMENT)
    if state == View.CLOSED:
        return rows.filter(status=RecallStatus.CLOSED)
    return rows


def _worklist_rows(*, actor: User, filters: WorklistFilters, today: date, now) -> tuple[QuerySet[Recall], Q]:
    """The recalls matching `filters`, annotated so that `.exclude(hidden)` leaves out the
    restricted records `actor` holds no live emergency grant for; (rows, hidden)."""
    rows = Recall.objects.all()
    rows = _state_filter(rows, filters.state, today)
    if filters.location is not None:
        at_location = Q(encounter__location=filters.location) | Q(
            encounter__isnull=True, provider__locations=filters.location
        )
        rows = rows.filter(pk__in=Recall.objects.filter(at_location).values("pk"))
    if filters.provider is not None:
        rows = rows.filter(provider=filters.provider)
    if filters.appointment_type is not None:
        rows = rows.filter(appointment_type=filters.appointment_type)
    if filters.due_from is not None:
        rows = rows.filter(due_on__gte=filters.due_from)
    if filters.due_to is not None:
        rows = rows.filter(due_on__lte=filters.due_to)
    if filters.created_by is not None:
        rows = rows.filter(created_by=filters.created_by)
    if filters.created_on is not None:
        zone = clock.zone_named(None)
        begins = datetime.combine(filters.created_on, time.min, zone)
        ends = datetime.combine(filters.created_on + timedelta(days=1), time.min, zone)
        rows = rows.filter(created_at__gte=begins, created_at__lt=ends)
    restricted = Exists(RestrictedRecord.objects.filter(patient_id=OuterRef("patient__mrn")))
    granted = Exists(
        EmergencyAccess.objects.filter(user=actor, patient_id=OuterRef("patient__mrn"), expires_at__gt=now)
    )
    return rows.annotate(restricted=restricted, granted=granted), Q(restricted=True, granted=False)


def recall_worklist_total(
    *, actor: User, filters: WorklistFilters, today: date | None = None, now=None, within: dict[str, Q] | None = None
) -> dict[str, int]:
    """How many recalls `recall_worklist` lists for these filters (all pages, restricted ones left
    out), as {"total": n}, plus for each name in `within` how many of those also match its
    condition: one query, for counts shown elsewhere (the home page) that must match the lists."""
    rows, hidden_q = _worklist_rows(actor=actor, filters=filters, today=today or clock.today(), now=now or clock.now())
    counts = {"total": Count("pk"), **{name: Count("pk", filter=q) for name, q in (within or {}).items()}}
    return rows.exclude(hidden_q).aggregate(**counts)


def overdue_q(today: date) -> Q:
    """The worklist's Overdue view as a condition (open, due before `today`)."""
    return Q(status__in=OPEN_STATUSES, due_on__lt=today)


def recall_worklist(
    *, actor: User, filters: WorklistFilters, today: date | None = None, page: int = 1, now=None
) -> Worklist:
    """The recalls matching `filters`, by due date, one page of PAGE_SIZE; not audited (the access
    function is). Recalls of restricted records `actor` holds no emergency grant for are left out
    and counted. A constant number of queries whatever the page holds."""
    today = today or clock.today()
    now = now or clock.now()
    rows, hidden_q = _worklist_rows(actor=actor, filters=filters, today=today, now=now)
    hidden = rows.filter(hidden_q).count()
    visible = rows.exclude(hidden_q)
    total = visible.count()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    chosen = list(
        visible.select_related("patient", "appointment_type", "provider__user", "appointment", "encounter")
        .prefetch_related("patient__phones")
        .order_by("due_on", "created_at", "pk")[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    )
    result = []
    for recall in chosen:
        state, label, late = recall_state(recall, today)
        phones = {p.kind: p for p in recall.patient.phones.all()}
        phone = next((phones[k].display for k in _PHONE_ORDER if k in phones), "")
        result.append(WorklistRow(recall, state, label, late, phone))
    return Worklist(rows=result, total=total, restricted_hidden=hidden, page=page, pages=pages)
