"""The only way views and endpoints read appointments: capability check, read, audit.

A schedule shows many patients at once. Like patient search, one look is one audit event that
lists the MRNs shown (cut at a whole MRN when the list is long), never one event per patient
and never names. The flow board refreshes itself every few seconds; a refresh writes an event
only when the set of patients it shows has changed since the last one this person saw, so the
trail says who saw which patient without an identical line every five seconds.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.patients.display import PatientLens, patient_lens

from . import calendar_grid
from . import flow_board as boards
from .models import Location, Provider

AUDIT_DETAIL_LIMIT = 500  # AuditEvent.detail


def audit_detail(head: str, mrns: list[str]) -> str:
    """ "<head>; patients=3; results=12345674,23456781,…", cut at a whole MRN with "…" when too long."""
    prefix = f"{head}; patients={len(mrns)}; results="
    shown: list[str] = []
    for mrn in mrns:
        if len(prefix) + len(",".join([*shown, mrn])) + 2 > AUDIT_DETAIL_LIMIT:
            return prefix + ",".join(shown) + ",…"
        shown.append(mrn)
    return prefix + ",".join(shown)


def _check(actor: User, need: str) -> None:
    if not role_can(actor.role, need):
        raise PermissionDenied(need)


def shows_names(actor: User) -> bool:
    """Names for roles that read demographics (every role that reads the schedule today); MRNs otherwise."""
    return role_can(actor.role, Cap.PATIENT_DEMOGRAPHICS_READ)


def schedule_lens(actor: User) -> PatientLens:
    """What `actor`'s schedules show of each patient: names (or MRNs, see `shows_names`), and
    initials without the visit reason for a restricted record `actor` holds no grant for."""
    return patient_lens(viewer=actor, names=shows_names(actor))


def _audit_read(
    *, actor: User, object_type: ObjectType, object_id: str, head: str, mrns: list[str], action: str
) -> None:
    if not mrns:
        return  # nothing about a patient was shown
    audit_record(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=audit_detail(head, mrns),
    )


def access_day_schedule(
    *,
    actor: User,
    location: Location,
    day: date,
    providers: list[Provider] | None = None,
    now: datetime | None = None,
    printing: bool = False,
) -> calendar_grid.Grid:
    """The day grid at `location` (see `calendar_grid.day_schedule`), audited as one read
    (or one print, for the PDF). Raises PermissionDenied without schedule.read."""
    _check(actor, Cap.SCHEDULE_READ)
    with transaction.atomic():
        grid = calendar_grid.day_schedule(
            location=location, day=day, providers=providers, lens=schedule_lens(actor), now=now
        )
        _audit_read(
            actor=actor,
            object_type=ObjectType.SCHEDULE_DAY,
            object_id=f"{location.public_id}/{day.isoformat()}",
            head=f"day={day.isoformat()}",
            mrns=grid.patient_mrns,
            action=Action.PRINT if printing else Action.READ,
        )
    return grid


def access_week_schedule(
    *, actor: User, provider: Provider, location: Location, week_start: date, now: datetime | None = None
) -> calendar_grid.Grid:
    """One provider's week at one location, audited as one read."""
    _check(actor, Cap.SCHEDULE_READ)
    with transaction.atomic():
        grid = calendar_grid.week_schedule(
            provider=provider, location=location, week_start=week_start, lens=schedule_lens(actor), now=now
        )
        _audit_read(
            actor=actor,
            object_type=ObjectType.SCHEDULE_WEEK,
            object_id=f"{provider.public_id}/{week_start.isoformat()}",
            head=f"week={week_start.isoformat()}",
            mrns=grid.patient_mrns,
            action=Action.READ,
        )
    return grid


def access_flow_board(
    *, actor: User, location: Location, now: datetime, seen: Any = None, always: bool = False
) -> boards.FlowBoard:
    """Today's flow board at `location`, audited once per distinct set of patients shown.

    `seen` is somewhere to remember what this viewer was last shown (the session, a mapping);
    without it (the API) or with `always` (the full page) the call is audited regardless.
    """
    _check(actor, Cap.SCHEDULE_READ)
    with transaction.atomic():
        board = boards.flow_board(location=location, now=now, lens=schedule_lens(actor))
        _audit_board(actor, location, board.day, board.patient_mrns, seen=seen, always=always)
    return board


def access_flow_board_page(
    *, actor: User, location: Location, now: datetime, seen: Any = None, always: bool = False, show: str = ""
) -> boards.FlowBoardPage:
    """`access_flow_board` for the HTML board (plain values, see `flow_board.flow_board_page`);
    `show` lists only some rows (FLOW_SHOWS), and the audit event names only the patients listed."""
    _check(actor, Cap.SCHEDULE_READ)
    with transaction.atomic():
        board = boards.flow_board_page(location=location, now=now, lens=schedule_lens(actor), show=show)
        _audit_board(actor, location, board.day, board.patient_mrns, seen=seen, always=always)
    return board


def _audit_board(actor: User, location: Location, day: date, mrns: list[str], *, seen: Any, always: bool) -> None:
    key = f"flow_board_seen:{location.public_id}"
    digest = hashlib.sha256(f"{day}:{','.join(sorted(mrns))}".encode()).hexdigest()[:32]
    if always or seen is None or seen.get(key) != digest:
        _audit_read(
            actor=actor,
            object_type=ObjectType.FLOW_BOARD,
            object_id=f"{location.public_id}/{day.isoformat()}",
            head=f"day={day.isoformat()}",
            mrns=mrns,
            action=Action.READ,
        )
        if seen is not None:
            seen[key] = digest
