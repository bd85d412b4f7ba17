"""The practice setup as one in-memory snapshot per process, renewed exactly when it changes.

Every booking needs the same setup rows: the provider, location, visit type and room named in
the request, who takes what and works where, opening hours, template blocks, exceptions and
holiday overrides. Read from the database each time they were most of a booking's queries.
Here they are read once into an immutable `SetupSnapshot` and kept per process and database.

Before each use one query reads the setup token (models.SetupGeneration). Database triggers
(migration 0004) give it a new random value in the same transaction as any change to a setup
table, however the change is made, so a snapshot is used only while it still describes the
setup the reader's transaction sees:
- the token is read before the rows, so a snapshot built while a change commits holds rows
  newer than its token says and is rebuilt at the next use, never the other way round;
- a change rolled back takes its token with it, and tokens are random, so no later state can
  share it;
- with no token row (a freshly flushed test database) nothing is kept.

Exceptions and holiday overrides that ended more than CLINICDESK_SETUP_SNAPSHOT_PAST_DAYS days
before the snapshot was built are not held: a question about an earlier day (only ever asked
with a `now` in the past) is answered from the database (`covers`). CLINICDESK_SETUP_SNAPSHOT
False turns the snapshot off (`current_setup` answers None). The snapshot's model instances
are shared between threads and must be treated as read-only.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple, TypeVar
from uuid import UUID

from django.conf import settings
from django.db import connection
from django.db.models import Model, Q

from clinicdesk.core import clock

from .availability import BlockSpec, VersionSpec
from .models import (
    AppointmentType,
    AvailabilityException,
    HolidayOverride,
    Location,
    OpeningHours,
    Provider,
    Room,
    TemplateBlock,
)

M = TypeVar("M", bound=Model)


class ExceptionRow(NamedTuple):
    provider_id: int | None
    location_id: int | None
    kind: str
    starts_at: datetime
    ends_at: datetime
    reason: str


# Flat reads: a prefetch_related of the blocks' rooms and types clones a queryset per block, so
# template versions are read as plain rows (blocks, and the two M2M through tables) and put
# together here. Every read is one query whatever the number of rows.
_BlockRooms = TemplateBlock.rooms.through
_BlockTypes = TemplateBlock.appointment_types.through


def versions_of(blocks: Q, *, joined: bool = False) -> dict[tuple[int, int], list[VersionSpec]]:
    """Template versions (with their blocks) by (provider, location).

    `blocks` filters TemplateBlock rows. A version without blocks opens nothing, so leaving it
    out changes no interval. Versions are ordered by valid_from, blocks by weekday and start.
    Three queries (blocks, their rooms, their types); `joined` reads all in one query with
    both M2M tables LEFT JOINed (a row per room × type of a block: for a few blocks only).
    """
    fields = [
        "pk",
        "template_id",
        "template__provider_id",
        "template__location_id",
        "template__valid_from",
        "template__valid_until",
        "weekday",
        "starts",
        "ends",
    ]
    ordered = TemplateBlock.objects.filter(blocks).order_by(
        "template__valid_from", "template_id", "weekday", "starts", "pk"
    )
    rooms: dict[int, set[int]] = defaultdict(set)
    types: dict[int, set[int]] = defaultdict(set)
    if joined:
        rows: list[tuple[Any, ...]] = []
        for row in ordered.values_list(*fields, "rooms", "appointment_types"):
            if not rows or rows[-1][0] != row[0]:
                rows.append(row[:9])
            if row[9] is not None:
                rooms[row[0]].add(row[9])
            if row[10] is not None:
                types[row[0]].add(row[10])
    else:
        rows = list(ordered.values_list(*fields))
        if not rows:
            return {}
        # The same filter through a subquery, not a list of block ids (a long IN list costs more to build than to run).
        through = Q(templateblock__in=TemplateBlock.objects.filter(blocks).values("pk"))
        for block_id, room_id in _BlockRooms.objects.filter(through).values_list("templateblock_id", "room_id"):
            rooms[block_id].add(room_id)
        for block_id, type_id in _BlockTypes.objects.filter(through).values_list(
            "templateblock_id", "appointmenttype_id"
        ):
            types[block_id].add(type_id)
    by_template: dict[int, tuple[tuple[int, int, date, date | None], list[BlockSpec]]] = {}
    for block_id, template_id, provider_id, location_id, valid_from, valid_until, weekday, starts, ends in rows:
        entry = by_template.setdefault(template_id, ((provider_id, location_id, valid_from, valid_until), []))
        entry[1].append(
            BlockSpec(weekday, starts, ends, frozenset(rooms.get(block_id, ())), frozenset(types.get(block_id, ())))
        )
    versions: dict[tuple[int, int], list[VersionSpec]] = defaultdict(list)
    for (provider_id, location_id, valid_from, valid_until), specs in by_template.values():
        versions[(provider_id, location_id)].append(VersionSpec(valid_from, valid_until, tuple(specs)))
    return dict(versions)


def exceptions_in(scope: Q, start_date: date, end_date: date | None) -> list[ExceptionRow]:
    """Exceptions in `scope` touching local dates start_date..end_date (None: no end), by start."""
    # Local dates of the range are a day wider in UTC; a day of slack on each side covers every zone.
    window = Q(ends_at__gt=datetime.combine(start_date - timedelta(days=1), time.min, tzinfo=UTC))
    if end_date is not None:
        window &= Q(starts_at__lt=datetime.combine(end_date + timedelta(days=2), time.min, tzinfo=UTC))
    rows = (
        AvailabilityException.objects.filter(scope, window)
        .order_by("starts_at", "pk")
        .values_list("provider_id", "location_id", "kind", "starts_at", "ends_at", "reason")
    )
    return [ExceptionRow(*row) for row in rows]


@dataclass(frozen=True)
class SetupSnapshot:
    token: str | None
    past_days: int  # the setting it was built with
    horizon: datetime  # exceptions and overrides ending before this are not held
    providers: dict[int, Provider]  # with their users
    locations: dict[int, Location]
    types: dict[int, AppointmentType]
    rooms: dict[int, Room]  # with their locations
    public: dict[tuple[type, UUID], Model]
    provider_locations: dict[int, frozenset[int]]
    type_providers: dict[int, frozenset[int]]
    type_rooms: dict[int, frozenset[int]]
    hours: dict[int, dict[int, tuple[time, time]]]  # location -> weekday -> (opens, closes)
    location_rooms: dict[int, list[Room]]  # active rooms by name
    versions: dict[tuple[int, int], list[VersionSpec]]
    exceptions: tuple[ExceptionRow, ...]
    overrides: dict[int, frozenset[date]]

    def covers(self, first_day: date) -> bool:
        """Whether exceptions and overrides from local `first_day` on are all held."""
        return datetime.combine(first_day - timedelta(days=1), time.min, tzinfo=UTC) >= self.horizon

    def active(self, model: type[M], public_id: UUID) -> M | None:
        found = self.public.get((model, public_id))
        return found if found is not None and getattr(found, "active", True) else None  # type: ignore[return-value]  # the snapshot stores rows typed as Model; the caller asked for one model

    def exceptions_for(self, provider_id: int, location_id: int, start: date, end: date) -> list[ExceptionRow]:
        """The provider's own and the location's exceptions touching local dates start..end."""
        low = datetime.combine(start - timedelta(days=1), time.min, tzinfo=UTC)
        high = datetime.combine(end + timedelta(days=2), time.min, tzinfo=UTC)
        return [
            e
            for e in self.exceptions
            if e.starts_at < high
            and e.ends_at > low
            and (
                (e.provider_id == provider_id and e.location_id in (None, location_id))
                or (e.location_id == location_id and e.provider_id is None)
            )
        ]


def _build(token: str | None, now: datetime) -> SetupSnapshot:
    horizon = now - timedelta(days=_past_days())
    locations = {loc.pk: loc for loc in Location.objects.order_by("name", "pk")}
    providers = {p.pk: p for p in Provider.objects.select_related("user")}
    types = {t.pk: t for t in AppointmentType.objects.order_by("name", "pk")}
    rooms: dict[int, Room] = {}
    location_rooms: dict[int, list[Room]] = {pk: [] for pk in locations}
    for room in Room.objects.order_by("name", "pk"):
        room.location = locations[room.location_id]  # str(room) needs it; no query per room
        rooms[room.pk] = room
        if room.active:
            location_rooms[room.location_id].append(room)
    public: dict[tuple[type, UUID], Model] = {}
    for model, rows in ((Location, locations), (Provider, providers), (AppointmentType, types), (Room, rooms)):
        public.update({(model, row.public_id): row for row in rows.values()})
    provider_locations: dict[int, set[int]] = defaultdict(set)
    for provider_id, location_id in Provider.locations.through.objects.values_list("provider_id", "location_id"):
        provider_locations[provider_id].add(location_id)
    type_providers: dict[int, set[int]] = defaultdict(set)
    for type_id, provider_id in AppointmentType.providers.through.objects.values_list(
        "appointmenttype_id", "provider_id"
    ):
        type_providers[type_id].add(provider_id)
    type_rooms: dict[int, set[int]] = defaultdict(set)
    for type_id, room_id in AppointmentType.rooms.through.objects.values_list("appointmenttype_id", "room_id"):
        type_rooms[type_id].add(room_id)
    hours: dict[int, dict[int, tuple[time, time]]] = {pk: {} for pk in locations}
    for location_id, weekday, opens, closes in OpeningHours.objects.values_list(
        "location_id", "weekday", "opens", "closes"
    ):
        hours[location_id][weekday] = (opens, closes)
    overrides: dict[int, set[date]] = defaultdict(set)
    for location_id, day in HolidayOverride.objects.filter(day__gte=horizon.date() - timedelta(days=1)).values_list(
        "location_id", "day"
    ):
        overrides[location_id].add(day)
    return SetupSnapshot(
        token=token,
        past_days=_past_days(),
        horizon=horizon,
        providers=providers,
        locations=locations,
        types=types,
        rooms=rooms,
        public=public,
        provider_locations={k: frozenset(v) for k, v in provider_locations.items()},
        type_providers={k: frozenset(v) for k, v in type_providers.items()},
        type_rooms={k: frozenset(v) for k, v in type_rooms.items()},
        hours=hours,
        location_rooms=location_rooms,
        versions=versions_of(Q()),
        exceptions=tuple(exceptions_in(Q(), horizon.date() + timedelta(days=1), None)),
        overrides={k: frozenset(v) for k, v in overrides.items()},
    )


def _past_days() -> int:
    return settings.CLINICDESK_SETUP_SNAPSHOT_PAST_DAYS


_TOKEN_SQL = "SELECT token FROM scheduling_setupgeneration WHERE id = 1"
_lock = threading.Lock()
_kept: dict[tuple[str, str], SetupSnapshot] = {}


def current_setup() -> SetupSnapshot | None:
    """The setup as the caller's transaction sees it: one query while nothing has changed.

    None when the snapshot is turned off (CLINICDESK_SETUP_SNAPSHOT).
    """
    if not settings.CLINICDESK_SETUP_SNAPSHOT:
        return None
    with connection.cursor() as cursor:  # every booking runs this: plain SQL, no query to compile
        cursor.execute(_TOKEN_SQL)
        found = cursor.fetchone()
    row = found[0] if found else None
    key = (connection.alias, str(connection.settings_dict["NAME"]))
    kept = _kept.get(key)
    if row is not None and kept is not None and kept.token == row and kept.past_days == _past_days():
        return kept
    snapshot = _build(row, clock.now())
    if row is not None:
        with _lock:
            _kept[key] = snapshot
    return snapshot
