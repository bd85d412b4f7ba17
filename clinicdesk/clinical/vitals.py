"""Vital signs: unit conversion, plausibility, borderline flags, and the two writes.

Values are entered in either unit (lb or kg, in or cm, °F or °C) and stored in metric with one
decimal (kg, cm, °C). Every conversion is Decimal arithmetic on the exact factors (1 in =
2.54 cm, 1 lb = 0.45359237 kg) and rounds half up. The display precision of each unit is
chosen so that a stored value shown in the other unit and typed back in gives the same stored
value: °F and lb with one decimal, inches with two (0.1 cm is 0.04 in).

A reading outside the plausible range of a person (systolic 20 mmHg, SpO2 30 %) is refused with
a message naming the field; a plausible reading outside the usual range (BP 165/95) is stored
and described in words in `flags`, which the pages show highlighted.

BMI is derived (kg/m², one decimal) from the stored height and weight. When only the weight is
taken today, the patient's latest height recorded in the last 365 days is used, for adults
(18 and over on the day) only: children grow, so their BMI needs a height taken the same day.

A vitals entry is never edited or deleted: one entered by mistake is marked in error, with a
reason, and a new entry is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.core import clock, ranges
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.core.ranges import Span
from clinicdesk.patients.models import Patient

from .models import Encounter, Vitals

TENTH = Decimal("0.1")
HUNDREDTH = Decimal("0.01")
CM_PER_IN = Decimal("2.54")
KG_PER_LB = Decimal("0.45359237")

TEMPERATURE_UNITS = ("F", "C")
HEIGHT_UNITS = ("in", "cm")
WEIGHT_UNITS = ("lb", "kg")
UNIT_LABEL = {"F": "°F", "C": "°C", "in": "in", "cm": "cm", "lb": "lb", "kg": "kg"}

# Plausible ranges of a living person's reading (outside: refused), in the stored unit.
PLAUSIBLE: dict[str, tuple[Decimal, Decimal]] = {
    "systolic": (Decimal(60), Decimal(300)),
    "diastolic": (Decimal(30), Decimal(200)),
    "pulse": (Decimal(20), Decimal(250)),
    "temperature_c": (Decimal("30.0"), Decimal("45.0")),
    "respiratory_rate": (Decimal(4), Decimal(70)),
    "spo2": (Decimal(50), Decimal(100)),
    "height_cm": (Decimal("30.0"), Decimal("250.0")),
    "weight_kg": (Decimal("0.5"), Decimal("500.0")),
    "pain": (Decimal(0), Decimal(10)),
}
BMI_PLAUSIBLE = (Decimal("5.0"), Decimal("150.0"))
# Usual adult ranges: a reading outside is stored and flagged ("low" below, "high" at or above).
LOW_HIGH: dict[str, tuple[Decimal, Decimal]] = {
    "pulse": (Decimal(50), Decimal(101)),
    "temperature_c": (Decimal("35.0"), Decimal("38.0")),
    "respiratory_rate": (Decimal(12), Decimal(21)),
    "spo2": (Decimal(95), Decimal(101)),
    "bmi": (Decimal("18.5"), Decimal("30.0")),
}
BP_HIGH = (140, 90)  # systolic or diastolic at or above
BP_LOW = (90, 60)  # systolic or diastolic below
PAIN_FLAG = 7  # severe pain, at or above
ADULT_AGE = 18
HEIGHT_REUSE_DAYS = 365
FUTURE_SLACK = timedelta(minutes=5)

LABEL = {
    "systolic": "Systolic",
    "diastolic": "Diastolic",
    "pulse": "Pulse",
    "temperature": "Temperature",
    "respiratory_rate": "Respiratory rate",
    "spo2": "SpO2",
    "height": "Height",
    "weight": "Weight",
    "pain": "Pain score",
}
UNIT_OF = {"systolic": "mmHg", "diastolic": "mmHg", "pulse": "/min", "respiratory_rate": "/min", "spo2": "%"}


# --- Conversions -----------------------------------------------------------------------------


def _q(value: Decimal, step: Decimal) -> Decimal:
    return value.quantize(step, rounding=ROUND_HALF_UP)


def f_to_c(value: Decimal) -> Decimal:
    return _q((value - 32) * 5 / 9, TENTH)


def c_to_f(value: Decimal) -> Decimal:
    return _q(value * 9 / 5 + 32, TENTH)


def in_to_cm(value: Decimal) -> Decimal:
    return _q(value * CM_PER_IN, TENTH)


def cm_to_in(value: Decimal) -> Decimal:
    return _q(value / CM_PER_IN, HUNDREDTH)


def lb_to_kg(value: Decimal) -> Decimal:
    return _q(value * KG_PER_LB, TENTH)


def kg_to_lb(value: Decimal) -> Decimal:
    return _q(value / KG_PER_LB, TENTH)


def to_stored(kind: str, value: Decimal, unit: str) -> Decimal:
    """`value` of `kind` (temperature, height, weight) entered in `unit`, in the stored unit."""
    if kind == "temperature":
        return f_to_c(value) if unit == "F" else _q(value, TENTH)
    if kind == "height":
        return in_to_cm(value) if unit == "in" else _q(value, TENTH)
    return lb_to_kg(value) if unit == "lb" else _q(value, TENTH)


def to_display(kind: str, stored: Decimal, unit: str) -> Decimal:
    """The stored value of `kind` shown in `unit` (precise enough to convert back exactly)."""
    if kind == "temperature":
        return c_to_f(stored) if unit == "F" else stored
    if kind == "height":
        return cm_to_in(stored) if unit == "in" else stored
    return kg_to_lb(stored) if unit == "lb" else stored


# The units the practice reads (the chart's, and the second unit beside what was typed).
PRACTICE_UNITS = {"temperature": "F", "height": "in", "weight": "lb"}
_STORED = {"temperature": ("temperature_c", "C"), "height": ("height_cm", "cm"), "weight": ("weight_kg", "kg")}


def entered_values(data: VitalsInput) -> dict[str, Decimal | str | None]:
    """The temperature, height and weight as typed and the unit of each, for the columns that
    keep them (`weight_entered`, `weight_unit`, ...); only for readings that were given."""
    kept: dict[str, Decimal | str | None] = {}
    for kind in _STORED:
        value = parse_reading(getattr(data, kind))
        if value is not None:
            kept[f"{kind}_entered"] = _q(value, HUNDREDTH)
            kept[f"{kind}_unit"] = getattr(data, f"{kind}_unit")
    return kept


def reading_in(vitals: Vitals, kind: str, unit: str) -> Decimal | None:
    """`vitals`' temperature, height or weight in `unit`: what was typed when it was typed in
    that unit (150 lb stays 150), else the stored metric value converted; None when not taken."""
    column, _metric = _STORED[kind]
    stored = getattr(vitals, column)
    if stored is None:
        return None
    entered = getattr(vitals, f"{kind}_entered")
    if entered is not None and getattr(vitals, f"{kind}_unit") == unit:
        return Decimal(format(entered.normalize(), "f"))  # 150, not 150.00 (two places are kept)
    return to_display(kind, stored, unit)


def reading_text(vitals: Vitals, kind: str) -> str:
    """ "150 lb (68.0 kg)": the reading as typed first, then in the other unit; "" when not taken.
    A reading recorded before entries were kept shows its stored value first ("68.0 kg (149.9 lb)")."""
    column, metric = _STORED[kind]
    if getattr(vitals, column) is None:
        return ""
    first = getattr(vitals, f"{kind}_unit") or metric
    other = metric if first != metric else PRACTICE_UNITS[kind]
    typed, converted = (reading_in(vitals, kind, unit) or Decimal(0) for unit in (first, other))
    return f"{_fmt(typed)} {UNIT_LABEL[first]} ({_fmt(converted)} {UNIT_LABEL[other]})"


def bmi_of(*, height_cm: Decimal, weight_kg: Decimal) -> Decimal:
    metres = height_cm / 100
    return _q(weight_kg / (metres * metres), TENTH)


def _fmt(value: Decimal) -> str:
    """A reading in words: no trailing zeros beyond what was meant (98.6, 120, 70.5)."""
    text = format(value.normalize(), "f")
    return text


# --- Input -----------------------------------------------------------------------------------


@dataclass
class VitalsInput:
    """One set of readings as entered. Every value may be missing; at least one must be given."""

    systolic: Decimal | None = None
    diastolic: Decimal | None = None
    pulse: Decimal | None = None
    temperature: Decimal | None = None
    temperature_unit: str = "F"
    respiratory_rate: Decimal | None = None
    spo2: Decimal | None = None
    height: Decimal | None = None
    height_unit: str = "in"
    weight: Decimal | None = None
    weight_unit: str = "lb"
    pain: Decimal | None = None
    taken_at: datetime | None = None


READING_FIELDS = (
    "systolic",
    "diastolic",
    "pulse",
    "temperature",
    "respiratory_rate",
    "spo2",
    "height",
    "weight",
    "pain",
)
WHOLE_NUMBER_FIELDS = ("systolic", "diastolic", "pulse", "respiratory_rate", "spo2", "pain")


def parse_reading(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError("not a number") from exc
    if not number.is_finite():
        raise ValueError("not a number")
    return number


@dataclass
class Checked:
    """Readings validated and converted to the stored units, with the flags in words."""

    values: dict[str, Decimal | int | None]
    flags: list[str]


READING_CEILING = Decimal(10_000)  # above every plausible reading in any unit (the largest: 1102 lb)


def _unit_of(data: VitalsInput, field: str) -> str | None:
    """The unit `field` was entered in, when it has a choice of units and the choice is valid."""
    unit = {"temperature": data.temperature_unit, "height": data.height_unit, "weight": data.weight_unit}.get(field)
    return unit if unit in UNIT_LABEL else None


def _implausible(field: str, shown: Decimal | None, unit: str | None) -> str:
    """The message for a reading of `field` outside a person's range, with the range in the unit
    it was entered in (the stored unit when that unit is unknown)."""
    column = {"temperature": "temperature_c", "height": "height_cm", "weight": "weight_kg"}.get(field, field)
    low, high = PLAUSIBLE[column]
    reading = _fmt(shown) if shown is not None and abs(shown) < 10**9 else f"{shown:.3g}"
    if field == "pain":
        return f"Pain score {reading} is not on the 0–10 scale."
    if column != field:
        if unit is None:
            unit = {"temperature": "C", "height": "cm", "weight": "kg"}[field]
        low_shown, high_shown = (to_display(field, bound, unit) for bound in (low, high))
        span = f"{_fmt(low_shown)}–{_fmt(high_shown)} {UNIT_LABEL[unit]}"
        reading = f"{reading} {UNIT_LABEL[unit]}"
    else:
        unit_text = UNIT_OF[column]
        sep = "" if unit_text in ("%", "/min") else " "
        span = f"{_fmt(low)}–{_fmt(high)}{sep}{unit_text}"
        reading = f"{reading}{sep}{unit_text}"
    return f"{LABEL[field]} {reading} is not plausible ({span}). Check the reading."


def vitals_check(data: VitalsInput) -> Checked:
    """Validate `data`; raise ValidationError naming every field that is wrong (all at once)."""
    errors: dict[str, list[str]] = {}
    raw: dict[str, Decimal | None] = {}
    for name in READING_FIELDS:
        try:
            raw[name] = parse_reading(getattr(data, name))
        except ValueError:
            errors.setdefault(name, []).append(f"{LABEL[name]} must be a number.")
            raw[name] = None
    for name, units in (
        ("temperature_unit", TEMPERATURE_UNITS),
        ("height_unit", HEIGHT_UNITS),
        ("weight_unit", WEIGHT_UNITS),
    ):
        if getattr(data, name) not in units:
            errors.setdefault(name, []).append(f"Choose {' or '.join(UNIT_LABEL[u] for u in units)}.")
    for name in READING_FIELDS:
        # A reading far beyond any person's (1e308) is refused before any arithmetic on it:
        # converting or rounding it would overflow the decimal context.
        value = raw[name]
        if value is not None and abs(value) >= READING_CEILING:
            errors.setdefault(name, []).append(_implausible(name, value, _unit_of(data, name)))
            raw[name] = None
    for name in WHOLE_NUMBER_FIELDS:
        value = raw[name]
        if value is not None and value != value.to_integral_value():
            errors.setdefault(name, []).append(f"{LABEL[name]} is a whole number (you gave {_fmt(value)}).")
            raw[name] = None
    for name in ("temperature", "height", "weight"):
        value = raw[name]
        if value is not None and -value.as_tuple().exponent > 2:  # type: ignore[operator]  # finite: int exponent
            errors.setdefault(name, []).append(f"{LABEL[name]} takes at most two decimals.")
            raw[name] = None
    if errors:
        raise ValidationError(errors)

    stored: dict[str, Decimal | None] = {
        "systolic": raw["systolic"],
        "diastolic": raw["diastolic"],
        "pulse": raw["pulse"],
        "respiratory_rate": raw["respiratory_rate"],
        "spo2": raw["spo2"],
        "pain": raw["pain"],
        "temperature_c": None,
        "height_cm": None,
        "weight_kg": None,
    }
    entered_unit = {"temperature": data.temperature_unit, "height": data.height_unit, "weight": data.weight_unit}
    for kind, column in (("temperature", "temperature_c"), ("height", "height_cm"), ("weight", "weight_kg")):
        value = raw[kind]
        if value is not None:
            stored[column] = to_stored(kind, value, entered_unit[kind])
    if errors:
        raise ValidationError(errors)

    for column, (low, high) in PLAUSIBLE.items():
        value = stored[column]
        if value is None or low <= value <= high:
            continue
        field = {"temperature_c": "temperature", "height_cm": "height", "weight_kg": "weight"}.get(column, column)
        errors.setdefault(field, []).append(_implausible(field, raw[field], entered_unit.get(field)))

    systolic, diastolic = stored["systolic"], stored["diastolic"]
    if (systolic is None) != (diastolic is None):
        missing = "diastolic" if diastolic is None else "systolic"
        errors.setdefault(missing, []).append("Enter both systolic and diastolic blood pressure, or neither.")
    elif systolic is not None and diastolic is not None and systolic <= diastolic and not errors:
        errors.setdefault("systolic", []).append(
            f"Systolic ({_fmt(systolic)}) must be higher than diastolic ({_fmt(diastolic)}). Check the reading."
        )
    if not errors and all(value is None for value in stored.values()):
        errors["__all__"] = ["Enter at least one vital sign."]
    if errors:
        raise ValidationError(errors)

    values: dict[str, Decimal | int | None] = {
        name: (int(value) if name in WHOLE_NUMBER_FIELDS and value is not None else value)
        for name, value in stored.items()
    }
    return Checked(values=values, flags=_flags(values))


def _flags(values: dict[str, Decimal | int | None], bmi: Decimal | None = None) -> list[str]:
    flags: list[str] = []
    systolic, diastolic = values.get("systolic"), values.get("diastolic")
    if systolic is not None and diastolic is not None:
        if systolic >= BP_HIGH[0] or diastolic >= BP_HIGH[1]:
            flags.append(f"BP {systolic}/{diastolic} high")
        elif systolic < BP_LOW[0] or diastolic < BP_LOW[1]:
            flags.append(f"BP {systolic}/{diastolic} low")
    shown = {
        "pulse": ("Pulse", "/min"),
        "temperature_c": ("Temperature", " °C"),
        "respiratory_rate": ("Respiratory rate", "/min"),
        "spo2": ("SpO2", "%"),
        "bmi": ("BMI", ""),
    }
    readings = dict(values, bmi=bmi)
    for column, (low, high) in LOW_HIGH.items():
        value = readings.get(column)
        if value is None:
            continue
        label, unit = shown[column]
        text = _fmt(Decimal(value))
        if column == "temperature_c":
            text = f"{text} °C ({_fmt(c_to_f(Decimal(value)))} °F)"
            unit = ""
        if value < low:
            flags.append(f"{label} {text}{unit} low")
        elif value >= high:
            flags.append(f"{label} {text}{unit} high")
    pain = values.get("pain")
    if pain is not None and pain >= PAIN_FLAG:
        flags.append(f"Pain {pain}/10 severe")
    return flags


# --- Reads used by the writes ------------------------------------------------------------------


def height_for_bmi(*, patient: Patient, on: datetime) -> tuple[Decimal, datetime] | None:
    """The height to use for a BMI when none was taken with the weight: the patient's latest
    height (not in error) of the last 365 days, for an adult on `on`; None for a child."""
    if patient.age_on(timezone.localdate(on)) < ADULT_AGE:
        return None
    found = (
        Vitals.objects.filter(
            patient=patient,
            in_error=False,
            height_cm__isnull=False,
            taken_at__lte=on,
            taken_at__gte=on - timedelta(days=HEIGHT_REUSE_DAYS),
        )
        .order_by("-taken_at")
        .values_list("height_cm", "taken_at")
        .first()
    )
    if found is None or found[0] is None:
        return None
    return found[0], found[1]


# --- Writes ----------------------------------------------------------------------------------


def _require(actor: User, capability: str) -> None:
    if not role_can(actor.role, capability):
        raise PermissionDenied("Your role does not include recording vital signs.")


@transaction.atomic
def vitals_record(*, actor: User, patient: Patient, data: VitalsInput, encounter: Encounter | None = None) -> Vitals:
    """Record one set of vital signs for `patient` (in `encounter`, when given) and audit it.

    Raises ValidationError naming each wrong field (nothing is written), PermissionDenied
    without clinical.note.write. The encounter must be the patient's.
    """
    _require(actor, Cap.CLINICAL_NOTE_WRITE)
    now = clock.now()
    taken_at = data.taken_at or now
    if timezone.is_naive(taken_at):
        raise ValidationError({"taken_at": ["Give the time with its time zone."]})
    checked = vitals_check(data)
    if taken_at > now + FUTURE_SLACK:
        raise ValidationError({"taken_at": ["The time the vitals were taken cannot be in the future."]})
    # A reading cannot predate the patient (nor 1900): a year-1 time could not even be shown in
    # the practice's time zone, and every page listing the patient's vitals would fail.
    ranges.check(
        {
            "taken_at": ranges.datetime_problem(taken_at, Span.PAST, label="The time the vitals were taken", now=now)
            or ranges.not_before_birth_problem(
                taken_at, born=patient.date_of_birth, label="The time the vitals were taken"
            )
        }
    )
    if encounter is not None and encounter.patient_id != patient.pk:
        raise ValidationError({"encounter": ["This encounter belongs to another patient."]})
    values = checked.values
    height, weight = values["height_cm"], values["weight_kg"]
    bmi = None
    if weight is not None:
        if height is None:
            earlier = height_for_bmi(patient=patient, on=taken_at)
            height_used = earlier[0] if earlier else None
        else:
            height_used = Decimal(height)
        if height_used is not None:
            bmi = bmi_of(height_cm=height_used, weight_kg=Decimal(weight))
            if not BMI_PLAUSIBLE[0] <= bmi <= BMI_PLAUSIBLE[1]:
                raise ValidationError(
                    {
                        "weight": [
                            f"Weight {_fmt(Decimal(weight))} kg with height {_fmt(height_used)} cm gives a BMI of "
                            f"{_fmt(bmi)}, which is not plausible. Check the weight and the height."
                        ]
                    }
                )
    flags = _flags(values, bmi)
    vitals = Vitals.objects.create(
        patient=patient,
        encounter=encounter,
        taken_at=taken_at,
        taken_by=actor,
        bmi=bmi,
        flags="; ".join(flags)[:300],
        **values,
        **entered_values(data),
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        object_type=ObjectType.VITALS,
        object_id=str(vitals.public_id),
        patient_id=patient.mrn,
        changed_fields=[name for name, value in values.items() if value is not None] + (["bmi"] if bmi else []),
        detail=f"encounter={encounter.public_id}" if encounter is not None else "",
    )
    return vitals


IN_ERROR_REASON_MAX = 200


@transaction.atomic
def vitals_mark_in_error(*, actor: User, vitals: Vitals, reason: str) -> Vitals:
    """Mark `vitals` as entered in error, with `reason`. Never edits a reading; audited.

    Raises ValidationError when the reason is missing or too long, or the entry is already
    marked in error (the first reason is kept).
    """
    _require(actor, Cap.CLINICAL_NOTE_WRITE)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Say why this entry is in error (e.g. wrong patient, typo)."]})
    if len(reason) > IN_ERROR_REASON_MAX:
        raise ValidationError({"reason": [f"Keep the reason under {IN_ERROR_REASON_MAX} characters."]})
    locked = Vitals.objects.select_for_update().select_related("patient").get(pk=vitals.pk)
    if locked.in_error:
        raise ValidationError({"reason": ["This entry is already marked in error."]})
    locked.in_error, locked.in_error_reason = True, reason
    locked.save(update_fields=["in_error", "in_error_reason"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        object_type=ObjectType.VITALS,
        object_id=str(locked.public_id),
        patient_id=locked.patient.mrn,
        changed_fields=["in_error", "in_error_reason"],
        detail="marked in error",
    )
    return locked
