"""The confirmations worklist: upcoming appointments by confirmation status, for the calls to make.

One bounded read (location and start time through the (location, starts_at) index, or the
provider's (provider, block_start) index), only the columns the list shows, and one audit
event naming the patients listed. The reminders work (messaging) will read the same statuses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404

from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.patients.display import PatientLens, patient_lens
from clinicdesk.patients.models import PatientPhone

from .availability import day_bounds
from .models import Appointment, AppointmentStatus, ConfirmationStatus, Location, Provider

MAX_DAYS = 31
ROW_LIMIT = 500


@dataclass(frozen=True)
class ConfirmationFilter:
    location: Location
    start: date
    end: date  # inclusive
    statuses: tuple[str, ...] = (ConfirmationStatus.UNCONFIRMED, ConfirmationStatus.LEFT_MESSAGE)
    provider: Provider | None = None


def filter_problems(f: ConfirmationFilter) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if f.end < f.start:
        errors["end"] = ["The last day is before the first; swap them."]
    elif (f.end - f.start).days >= MAX_DAYS:
        errors["end"] = [f"Choose at most {MAX_DAYS} days at a time."]
    unknown = [s for s in f.statuses if s not in ConfirmationStatus.values]
    if unknown:
        errors["confirmation"] = [f"Unknown confirmation status: {', '.join(unknown)}."]
    return errors


def access_confirmations(*, actor: User, f: ConfirmationFilter, lens: PatientLens | None = None) -> list[Appointment]:
    """Scheduled appointments in the window whose confirmation is one of `f.statuses`, soonest first.

    Http404 when `actor` may not read the schedule; ValidationError by field for a bad filter.
    Audited as one read listing the MRNs shown. The reason of a restricted patient `actor` holds
    no grant for is blanked on the rows returned (`lens`, else `actor`'s; the page shows the
    name through the same lens), so neither the page nor the API shows it.
    """
    if not role_can(actor.role, Cap.SCHEDULE_READ):
        raise Http404
    errors = filter_problems(f)
    if errors:
        raise ValidationError(errors)
    zone = ZoneInfo(f.location.time_zone)
    window_start, _ = day_bounds(f.start, zone)
    _, window_end = day_bounds(f.end, zone)
    rows = Appointment.objects.filter(
        location=f.location,
        starts_at__gte=window_start,
        starts_at__lt=window_end,
        status=AppointmentStatus.SCHEDULED,
        confirmation__in=list(f.statuses),
    )
    if f.provider is not None:
        rows = rows.filter(provider=f.provider)
    found = list(
        rows.select_related("patient", "provider__user", "appointment_type", "confirmed_by")
        .prefetch_related(Prefetch("patient__phones", queryset=PatientPhone.objects.only("patient", "kind", "number")))
        .only(
            "public_id",
            "starts_at",
            "ends_at",
            "confirmation",
            "confirmation_method",
            "confirmed_at",
            "reason",
            "patient__mrn",
            "patient__first_name",
            "patient__last_name",
            "patient__middle_name",
            "patient__preferred_name",
            "patient__suffix",
            "provider__user__display_name",
            "provider__user__username",
            "appointment_type__name",
            "confirmed_by__display_name",
            "confirmed_by__username",
        )  # fmt: skip
        .order_by("starts_at")[:ROW_LIMIT]
    )
    lens = lens or patient_lens(viewer=actor)
    # The numbers to call are demographics: only a role that reads them sees them, never for a
    # record shown masked; the read is in the same audit event as the list.
    with_phones = role_can(actor.role, Cap.PATIENT_DEMOGRAPHICS_READ)
    for appointment in found:
        appointment.location = f.location
        # Rows read for display only (a few columns, never saved): what the viewer may see.
        appointment.reason = lens.detail(appointment.patient, appointment.reason)
        shown = with_phones and not lens.masks(appointment.patient)
        phones = phones_in_order(appointment.patient.phones.all()) if shown else []
        appointment.phones_to_call = phones  # type: ignore[attr-defined]  # a display-only attribute of a row never saved
    if found:
        mrns = ",".join(dict.fromkeys(a.patient.mrn for a in found))
        shown_phones = "; phones shown" if with_phones else ""
        audit_record(
            actor=actor,
            action=Action.READ,
            object_type=ObjectType.CONFIRMATION_LIST,
            object_id=str(f.location.public_id),
            detail=f"{f.start}..{f.end} {'+'.join(f.statuses)}{shown_phones}; results={mrns}"[:500],
        )
    return found


# A mobile reaches the patient wherever they are, so it is called first, then home, then work.
PHONE_ORDER = ("mobile", "home", "work")


@dataclass(frozen=True)
class PhoneToCall:
    kind: str  # "Mobile"
    shown: str  # "(202) 555-0123"
    dial: str  # "+12025550123", for a tel: link


def phones_in_order(phones: Iterable[PatientPhone]) -> list[PhoneToCall]:
    """A patient's numbers to call, mobile first, then home and work."""
    ranked = sorted(phones, key=lambda p: PHONE_ORDER.index(p.kind) if p.kind in PHONE_ORDER else len(PHONE_ORDER))
    return [PhoneToCall(kind=p.get_kind_display(), shown=p.display, dial=p.number) for p in ranked]


def default_window(today: date) -> tuple[date, date]:
    """Tomorrow to the next working day after it: the calls a front desk makes today."""
    start = today + timedelta(days=1)
    end = start + timedelta(days=1)
    while end.weekday() >= 5:
        end += timedelta(days=1)
    return start, end


def local_time(moment: datetime, location: Location) -> datetime:
    return moment.astimezone(ZoneInfo(location.time_zone))
