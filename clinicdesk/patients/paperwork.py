"""Communication preferences, the guarantor and HIPAA privacy paperwork: writes and reads.

Rules (docs/privacy-paperwork.md says the same for people):

- Nothing is overwritten. A channel preference keeps a change log with the full state after
  each change; a guarantor is superseded by a new row; a consent is revoked, never deleted;
  NPP acknowledgments and restriction requests are appended.
- Every write records one audit event in its transaction (object types `comm_preference`,
  `guarantor`, `npp_ack`, `consent`, `restriction`), naming the changed fields, never values.
- Reads take a `patient` that came from `access_patient`, which audited the look at the chart.
- `comm_channels_allowed` is what reminders and other outreach must call before contacting a
  patient: a channel without recorded consent is not allowed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.http import Http404

from clinicdesk.accounts.access import EmergencyAccessRequired
from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.core import clock
from clinicdesk.core.datetimes import date_text
from clinicdesk.core.errors import Conflict

from .access import access_patient
from .models import (
    CommChannel,
    CommPreference,
    CommPreferenceChange,
    Consent,
    ConsentKind,
    ConsentSource,
    ContactTime,
    Guarantor,
    GuarantorKind,
    GuarantorRelationship,
    NppAcknowledgment,
    NppMethod,
    Patient,
    PhoneKind,
    Restriction,
)
from .services import phone_e164
from .us import STATES, zip_normalize

Errors = dict[str, list[str]]


def _err(errors: Errors, name: str, message: str) -> None:
    errors.setdefault(name, []).append(message)


def _strip(values: dict[str, Any], errors: Errors) -> None:
    for name, value in values.items():
        if isinstance(value, str):
            values[name] = value.strip()
            if "\x00" in value:  # PostgreSQL cannot store it; nobody types it
                _err(errors, name, "Remove the invisible control character from this field.")


def _past_date(errors: Errors, name: str, value: Any, *, what: str, today: date) -> None:
    if not isinstance(value, date):
        _err(errors, name, f"Enter {what}, e.g. {date_text(today)}.")
    elif value > today:
        _err(errors, name, f"{what[0].upper()}{what[1:]} is in the future.")


# --- Communication preferences ---------------------------------------------------------------

PREFERENCE_FIELDS = (
    "consent",
    "consent_date",
    "consent_source",
    "reminder_opt_in",
    "contact_time",
    "window_start",
    "window_end",
)
REMINDER = "reminder"
GENERAL = "general"
PURPOSES = (REMINDER, GENERAL)


@dataclass
class CommPreferenceInput:
    """One channel's preference as the form or API sends it."""

    channel: str
    consent: bool = False
    consent_date: date | None = None
    consent_source: str = ""
    reminder_opt_in: bool = False
    contact_time: str = ContactTime.ANY
    window_start: time | None = None
    window_end: time | None = None


def _contact_on_file(patient: Patient, channel: str) -> str:
    """Why `channel` cannot reach `patient`, or "" when it can."""
    kinds = set(patient.phones.values_list("kind", flat=True))
    if channel == CommChannel.EMAIL and not patient.email:
        return "There is no email address on the chart. Add one (Edit) before recording email consent."
    if channel == CommChannel.SMS and PhoneKind.MOBILE not in kinds:
        return "There is no mobile phone on the chart. Add one (Edit) before recording text-message consent."
    if channel == CommChannel.VOICE and not kinds:
        return "There is no phone number on the chart. Add one (Edit) before recording phone-call consent."
    if channel == CommChannel.MAIL and not patient.address_line1:
        return "There is no postal address on the chart. Add one (Edit) before recording mail consent."
    return ""


def _clean_preference(patient: Patient, data: CommPreferenceInput, *, today: date) -> tuple[dict[str, Any], Errors]:
    values = {name: getattr(data, name) for name in PREFERENCE_FIELDS}
    errors: Errors = {}
    _strip(values, errors)
    if values["contact_time"] not in ContactTime.values:
        _err(errors, "contact_time", "Choose any time, morning, afternoon or evening.")
    start, end = values["window_start"], values["window_end"]
    if (start is None) != (end is None):
        _err(errors, "window_end" if end is None else "window_start", "Give both ends of the time window, or neither.")
    elif start is not None and end is not None and start >= end:
        _err(errors, "window_end", "The window must end after it starts.")
    if values["consent"]:
        _past_date(errors, "consent_date", values["consent_date"], what="the date consent was given", today=today)
        if values["consent_source"] not in ConsentSource.values:
            _err(errors, "consent_source", "Say how the patient gave consent: in person, portal, phone or form.")
        missing = _contact_on_file(patient, data.channel)
        if missing:
            _err(errors, "consent", missing)
    else:
        if values["reminder_opt_in"]:
            _err(errors, "reminder_opt_in", "Reminders need the patient's consent on this channel first.")
        # A "no" is a fact worth dating too, but it needs no source: silence is also a no.
        if values["consent_date"] is not None and values["consent_date"] > today:
            _err(errors, "consent_date", "The date consent was refused is in the future.")
        if values["consent_source"] and values["consent_source"] not in ConsentSource.values:
            _err(errors, "consent_source", "Choose in person, portal, phone or form.")
    return values, errors


def _log_preference(preference: CommPreference, actor: User, at: Any) -> None:
    CommPreferenceChange.objects.create(
        preference=preference,
        recorded_at=at,
        recorded_by=actor,
        **{name: getattr(preference, name) for name in PREFERENCE_FIELDS},
    )


@transaction.atomic
def comm_preference_set(*, actor: User, patient: Patient, data: CommPreferenceInput) -> list[str]:
    """Record the patient's preference on one channel. Returns the names of the fields that changed.

    The first record of a channel creates its row; later ones update it and append the full
    new state to the change log. Nothing changed: no write, no audit event, `[]`. Raises
    ValidationError by field; the messages name the channel's problem (no email on file, a
    reminder opt-in without consent, a window that ends before it starts).
    """
    if data.channel not in CommChannel.values:
        raise ValidationError({"channel": ["Choose email, sms, voice or mail."]})
    values, errors = _clean_preference(patient, data, today=clock.today())
    if errors:
        raise ValidationError(errors)
    now = clock.now()
    preference = CommPreference.objects.select_for_update().filter(patient=patient, channel=data.channel).first()
    if preference is None:
        preference = CommPreference(patient=patient, channel=data.channel, updated_by=actor, updated_at=now, **values)
        preference.save()
        changed = [name for name, value in values.items() if value not in ("", None, False, ContactTime.ANY)]
        changed = changed or ["consent"]
        action = Action.CREATE
    else:
        changed = [name for name, value in values.items() if getattr(preference, name) != value]
        if not changed:
            return []
        for name in changed:
            setattr(preference, name, values[name])
        preference.updated_at, preference.updated_by = now, actor
        preference.save()
        action = Action.UPDATE
    _log_preference(preference, actor, now)
    audit_record(
        actor=actor,
        action=action,
        object_type=ObjectType.COMM_PREFERENCE,
        object_id=str(preference.public_id),
        patient_id=patient.mrn,
        changed_fields=changed,
        detail=f"channel {preference.channel}",
    )
    return changed


def comm_preferences(*, patient: Patient) -> list[CommPreference]:
    """One preference per channel in channel order; unsaved blank rows for channels never recorded."""
    saved = {p.channel: p for p in CommPreference.objects.filter(patient=patient)}
    return [saved.get(channel) or CommPreference(patient=patient, channel=channel) for channel in CommChannel.values]


def comm_preference_history(*, patient: Patient) -> QuerySet[CommPreferenceChange]:
    return CommPreferenceChange.objects.select_related("preference", "recorded_by").filter(preference__patient=patient)


def comm_channels_allowed(*, patient: Patient, purpose: str = REMINDER) -> list[str]:
    """The channels `patient` may be contacted on for `purpose`, in CommChannel order.

    `purpose="reminder"` needs consent *and* the reminder opt-in; `"general"` needs consent.
    A channel whose contact detail has since left the chart (email removed, no mobile phone)
    is not allowed either, whatever was consented. ValueError for an unknown purpose.
    """
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}; use one of {PURPOSES}")
    found = CommPreference.objects.filter(patient=patient, consent=True)
    if purpose == REMINDER:
        found = found.filter(reminder_opt_in=True)
    consented = set(found.values_list("channel", flat=True))
    return [c for c in CommChannel.values if c in consented and not _contact_on_file(patient, c)]


# --- Guarantor --------------------------------------------------------------------------------

PERSON_FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "phone",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "zip_code",
)
GUARANTOR_COMPARED = ("kind", "guarantor_patient_id", "relationship", *PERSON_FIELDS)


@dataclass
class GuarantorInput:
    kind: str = GuarantorKind.SELF
    guarantor_patient: Patient | None = None
    relationship: str = ""
    first_name: str = ""
    last_name: str = ""
    date_of_birth: date | None = None
    phone: str = ""
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    state: str = ""
    zip_code: str = ""


def _clean_guarantor(patient: Patient, data: GuarantorInput, *, today: date) -> tuple[dict[str, Any], Errors]:
    values = {f.name: getattr(data, f.name) for f in fields(GuarantorInput)}
    errors: Errors = {}
    _strip(values, errors)
    kind = values["kind"]
    if kind not in GuarantorKind.values:
        _err(errors, "kind", "Choose self, another person, or another patient.")
        return values, errors
    if kind == GuarantorKind.SELF:
        values["relationship"] = GuarantorRelationship.SELF
        for name in PERSON_FIELDS:
            if values[name]:
                _err(errors, name, "Leave this blank when the patient is their own guarantor.")
        if values["guarantor_patient"] is not None:
            _err(errors, "guarantor_mrn", "Leave this blank when the patient is their own guarantor.")
        return values, errors
    if values["relationship"] not in GuarantorRelationship.values or values["relationship"] == "self":
        _err(errors, "relationship", "Choose how the guarantor is related to the patient.")
    if kind == GuarantorKind.PATIENT:
        other = values["guarantor_patient"]
        if other is None:
            _err(errors, "guarantor_mrn", "Enter the MRN of the patient who is responsible for the bill.")
        elif other.pk == patient.pk:
            _err(errors, "guarantor_mrn", "That is this patient. Choose “self” instead.")
        for name in PERSON_FIELDS:
            if values[name]:
                _err(errors, name, "Leave this blank: the guarantor's details come from their own chart.")
        return values, errors
    if values["guarantor_patient"] is not None:
        _err(errors, "guarantor_mrn", "Leave the MRN blank for a person who is not a patient here.")
    for name, label in (("first_name", "first name"), ("last_name", "last name")):
        if not values[name]:
            _err(errors, name, f"Enter the guarantor's {label}.")
    born = values["date_of_birth"]
    if not isinstance(born, date):
        _err(errors, "date_of_birth", "Enter the guarantor's date of birth.")
    elif born > today:
        _err(errors, "date_of_birth", "The guarantor's date of birth is in the future.")
    if values["phone"]:
        try:
            values["phone"] = phone_e164(values["phone"])
        except ValueError as exc:
            _err(errors, "phone", str(exc))
    else:
        _err(errors, "phone", "Enter a phone number for the guarantor.")
    for name, label in (("address_line1", "street address"), ("city", "city")):
        if not values[name]:
            _err(errors, name, f"Enter the guarantor's {label}; statements are mailed there.")
    values["state"] = values["state"].upper()
    if values["state"] not in STATES:
        _err(errors, "state", "Use the two-letter USPS code, e.g. NY.")
    try:
        values["zip_code"] = zip_normalize(values["zip_code"])
    except ValueError as exc:
        _err(errors, "zip_code", str(exc))
    return values, errors


def guarantor_patient_find(*, actor: User, mrn: str) -> Patient | None:
    """The patient with `mrn` to name as a guarantor, opened (and audited) like any chart; None for a blank MRN.

    Raises ValidationError on `guarantor_mrn` when there is no such patient the actor may see,
    or the record is restricted (a guarantor is not a reason for emergency access).
    """
    mrn = mrn.strip().upper()
    if not mrn:
        return None
    try:
        return access_patient(actor=actor, mrn=mrn, purpose="name as guarantor")
    except Http404 as exc:
        raise ValidationError(
            {"guarantor_mrn": [f"No patient has MRN {mrn}. Check the number on their chart."]}
        ) from exc
    except EmergencyAccessRequired as exc:
        raise ValidationError(
            {"guarantor_mrn": ["That record is restricted; ask the office manager to record this guarantor."]}
        ) from exc


def guarantor_current(*, patient: Patient) -> Guarantor | None:
    """The current guarantor row; None when none was ever recorded (the patient is then assumed "self")."""
    return (
        Guarantor.objects.select_related("guarantor_patient")
        .filter(patient=patient, superseded_at__isnull=True)
        .first()
    )


def guarantor_history(*, patient: Patient) -> QuerySet[Guarantor]:
    return Guarantor.objects.select_related("guarantor_patient", "created_by", "superseded_by").filter(patient=patient)


@transaction.atomic
def guarantor_set(*, actor: User, patient: Patient, data: GuarantorInput) -> Guarantor:
    """Make `data` the patient's guarantor; the current one (if any) is superseded, not changed.

    Setting the same guarantor again returns the current row untouched (no audit event).
    Raises ValidationError by field, or Conflict if another clerk changed it at the same moment.
    """
    values, errors = _clean_guarantor(patient, data, today=clock.today())
    if errors:
        raise ValidationError(errors)
    # Lock the patient row so two clerks setting a guarantor take turns (SQLite is already serial).
    Patient.objects.select_for_update().filter(pk=patient.pk).exists()
    current = Guarantor.objects.filter(patient=patient, superseded_at__isnull=True).first()
    new = Guarantor(patient=patient, created_by=actor, **values)
    if current is not None and all(getattr(current, n) == getattr(new, n) for n in GUARANTOR_COMPARED):
        return current
    now = clock.now()
    if current is not None:
        current.superseded_at, current.superseded_by = now, actor
        current.save(update_fields=["superseded_at", "superseded_by"])
    new.created_at = now
    try:
        with transaction.atomic():
            new.save()
    except IntegrityError as exc:
        raise Conflict({"kind": ["Someone else changed the guarantor just now. Reload and try again."]}) from exc
    audit_record(
        actor=actor,
        action=Action.CREATE,
        object_type=ObjectType.GUARANTOR,
        object_id=str(new.public_id),
        patient_id=patient.mrn,
        changed_fields=[n for n in ("kind", "guarantor_patient", *PERSON_FIELDS, "relationship") if values.get(n)],
        detail=f"supersedes {current.public_id}" if current is not None else "",
    )
    return new


# --- Notice of Privacy Practices ------------------------------------------------------------


@dataclass
class NppInput:
    version: str
    acknowledged_on: date | None
    method: str
    note: str = ""


@transaction.atomic
def npp_acknowledge(*, actor: User, patient: Patient, data: NppInput) -> NppAcknowledgment:
    """Record that the patient acknowledged, or refused to acknowledge, a version of the notice.

    A refusal needs a note saying what happened (the good-faith effort). Raises ValidationError.
    """
    values: dict[str, Any] = {
        "version": data.version,
        "acknowledged_on": data.acknowledged_on,
        "method": data.method,
        "note": data.note,
    }
    errors: Errors = {}
    _strip(values, errors)
    if not values["version"]:
        _err(errors, "version", "Enter the version of the notice the patient was given, e.g. 2026-01.")
    elif len(values["version"]) > 40:
        _err(errors, "version", "Keep the version under 40 characters.")
    _past_date(errors, "acknowledged_on", values["acknowledged_on"], what="the date", today=clock.today())
    if values["method"] not in NppMethod.values:
        _err(errors, "method", "Choose signed paper, electronic signature, verbal, or refused.")
    elif values["method"] == NppMethod.REFUSED and not values["note"]:
        _err(errors, "note", "Say why the acknowledgment was not obtained (e.g. “patient declined to sign”).")
    if len(values["note"]) > 300:
        _err(errors, "note", "Keep the note under 300 characters.")
    if errors:
        raise ValidationError(errors)
    ack = NppAcknowledgment.objects.create(patient=patient, recorded_by=actor, **values)
    audit_record(
        actor=actor,
        action=Action.CREATE,
        object_type=ObjectType.NPP_ACK,
        object_id=str(ack.public_id),
        patient_id=patient.mrn,
        changed_fields=[n for n, v in values.items() if v],
        detail=f"method {ack.method}",
    )
    return ack


def npp_acknowledgments(*, patient: Patient) -> QuerySet[NppAcknowledgment]:
    return NppAcknowledgment.objects.select_related("recorded_by").filter(patient=patient)


# --- Consents ---------------------------------------------------------------------------------


@dataclass
class ConsentInput:
    kind: str
    signed_on: date | None
    recipient_name: str = ""
    recipient_relationship: str = ""
    scope: str = ""
    expires_on: date | None = None


@transaction.atomic
def consent_record(*, actor: User, patient: Patient, data: ConsentInput) -> Consent:
    """Record a signed consent. A release of information must name its recipient, scope and expiry.

    The expiry of a new release may not be before today (an already expired authorization
    permits nothing). Raises ValidationError by field.
    """
    values: dict[str, Any] = {f.name: getattr(data, f.name) for f in fields(ConsentInput)}
    errors: Errors = {}
    _strip(values, errors)
    today = clock.today()
    kind = values["kind"]
    if kind not in ConsentKind.values:
        _err(errors, "kind", "Choose consent to treatment, release of information, or other.")
    _past_date(errors, "signed_on", values["signed_on"], what="the date it was signed", today=today)
    expires = values["expires_on"]
    if expires is not None and expires < today:
        _err(errors, "expires_on", f"The expiry date is before today ({date_text(today)}); it would permit nothing.")
    elif expires is not None and isinstance(values["signed_on"], date) and expires < values["signed_on"]:
        _err(errors, "expires_on", "The expiry date is before the date it was signed.")
    if kind == ConsentKind.RELEASE:
        if not values["recipient_name"]:
            _err(errors, "recipient_name", "Name the person or organisation the information may be released to.")
        if not values["recipient_relationship"]:
            _err(errors, "recipient_relationship", "Say who the recipient is to the patient (e.g. spouse, lawyer).")
        if not values["scope"]:
            _err(errors, "scope", "Describe what may be released (e.g. “lab results and appointment dates”).")
        if expires is None:
            _err(errors, "expires_on", "A release of information needs an expiry date.")
    elif kind == ConsentKind.OTHER and not values["scope"]:
        _err(errors, "scope", "Describe what the patient consented to.")
    elif kind == ConsentKind.TREATMENT:
        for name in ("recipient_name", "recipient_relationship"):
            if values[name]:
                _err(errors, name, "A consent to treatment has no recipient; leave this blank.")
    for name, limit in (("recipient_name", 200), ("recipient_relationship", 60), ("scope", 2000)):
        if len(values[name]) > limit:
            _err(errors, name, f"Keep this under {limit} characters.")
    if errors:
        raise ValidationError(errors)
    consent = Consent.objects.create(patient=patient, created_by=actor, **values)
    audit_record(
        actor=actor,
        action=Action.CREATE,
        object_type=ObjectType.CONSENT,
        object_id=str(consent.public_id),
        patient_id=patient.mrn,
        changed_fields=[n for n, v in values.items() if v not in ("", None)],
        detail=f"kind {consent.kind}",
    )
    return consent


@transaction.atomic
def consent_revoke(*, actor: User, consent: Consent, revoked_on: date | None = None, reason: str = "") -> Consent:
    """Record that the patient revoked `consent` on `revoked_on` (default today). The row stays.

    Raises ValidationError when it was already revoked or the date is impossible.
    """
    locked = Consent.objects.select_for_update().select_related("patient").get(pk=consent.pk)
    today = clock.today()
    day = revoked_on or today
    if locked.is_revoked:
        raise ValidationError({"revoked_on": [f"This consent was already revoked on {date_text(locked.revoked_on)}."]})
    if day > today:
        raise ValidationError({"revoked_on": ["The revocation date is in the future; record it when it happens."]})
    if day < locked.signed_on:
        raise ValidationError(
            {"revoked_on": [f"The revocation date is before it was signed ({date_text(locked.signed_on)})."]}
        )
    locked.revoked_on, locked.revoked_at, locked.revoked_by = day, clock.now(), actor
    locked.revoke_reason = reason.strip()[:200]
    locked.save(update_fields=["revoked_on", "revoked_at", "revoked_by", "revoke_reason"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        object_type=ObjectType.CONSENT,
        object_id=str(locked.public_id),
        patient_id=locked.patient.mrn,
        changed_fields=["revoked_on", "revoke_reason"] if locked.revoke_reason else ["revoked_on"],
    )
    for name in ("revoked_on", "revoked_at", "revoked_by", "revoke_reason"):
        setattr(consent, name, getattr(locked, name))
    return consent


def consents_all(*, patient: Patient) -> QuerySet[Consent]:
    """Every consent, unrevoked first, newest signed first."""
    return (
        Consent.objects.select_related("created_by", "revoked_by")
        .filter(patient=patient)
        .order_by(F("revoked_at").desc(nulls_first=True), "-signed_on", "-id")
    )


def consents_active(*, patient: Patient) -> list[Consent]:
    today = clock.today()
    return [c for c in Consent.objects.filter(patient=patient, revoked_at__isnull=True) if c.is_active_on(today)]


def consent_of(*, patient: Patient, public_id: Any) -> Consent:
    """The consent `public_id` of `patient`; Http404 when missing or someone else's."""
    try:
        return Consent.objects.select_related("patient").get(patient=patient, public_id=public_id)
    except (Consent.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc


# --- Requested restrictions -------------------------------------------------------------------


@dataclass
class RestrictionInput:
    text: str
    requested_on: date | None
    agreed: bool | None = None


@transaction.atomic
def restriction_request(*, actor: User, patient: Patient, data: RestrictionInput) -> Restriction:
    """Record a restriction the patient asked for; `agreed` None leaves it pending, else `actor` decided."""
    errors: Errors = {}
    text = data.text.strip()
    if not text:
        _err(errors, "text", "Write down what the patient asked to restrict.")
    elif "\x00" in text:
        _err(errors, "text", "Remove the invisible control character from this field.")
    _past_date(errors, "requested_on", data.requested_on, what="the date of the request", today=clock.today())
    if errors or data.requested_on is None:
        raise ValidationError(errors)
    decided = data.agreed is not None
    restriction = Restriction.objects.create(
        patient=patient,
        text=text,
        requested_on=data.requested_on,
        agreed=data.agreed,
        decided_by=actor if decided else None,
        decided_at=clock.now() if decided else None,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        object_type=ObjectType.RESTRICTION,
        object_id=str(restriction.public_id),
        patient_id=patient.mrn,
        changed_fields=["text", "requested_on", *(["agreed"] if decided else [])],
    )
    return restriction


@transaction.atomic
def restriction_decide(*, actor: User, restriction: Restriction, agreed: bool) -> Restriction:
    """Record the practice's answer to a pending request. A decided request cannot be re-decided."""
    locked = Restriction.objects.select_for_update().select_related("patient").get(pk=restriction.pk)
    if locked.agreed is not None:
        raise ValidationError({"agreed": [f"This request was already answered: {locked.status_display.lower()}."]})
    locked.agreed, locked.decided_by, locked.decided_at = agreed, actor, clock.now()
    locked.save(update_fields=["agreed", "decided_by", "decided_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        object_type=ObjectType.RESTRICTION,
        object_id=str(locked.public_id),
        patient_id=locked.patient.mrn,
        changed_fields=["agreed"],
    )
    return locked


def restrictions_all(*, patient: Patient) -> QuerySet[Restriction]:
    return Restriction.objects.select_related("decided_by", "created_by").filter(patient=patient)


def restriction_of(*, patient: Patient, public_id: Any) -> Restriction:
    try:
        return Restriction.objects.select_related("patient").get(patient=patient, public_id=public_id)
    except (Restriction.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc


# --- The chart's cards ------------------------------------------------------------------------


@dataclass
class PaperworkSummary:
    """What the chart's "Communication" and "Privacy and consent" cards show."""

    preferences: list[CommPreference]
    guarantor: Guarantor | None
    npp: NppAcknowledgment | None
    consents: list[Consent]
    restrictions: list[Restriction] = field(default_factory=list)


def paperwork_summary(*, patient: Patient) -> PaperworkSummary:
    """The latest NPP acknowledgment, active consents, agreed or pending restrictions, preferences, guarantor."""
    return PaperworkSummary(
        preferences=comm_preferences(patient=patient),
        guarantor=guarantor_current(patient=patient),
        npp=npp_acknowledgments(patient=patient).first(),
        consents=consents_active(patient=patient),
        restrictions=[r for r in restrictions_all(patient=patient) if r.agreed is not False],
    )
