"""Visit notes: drafting (with autosave), signing, co-signing, addenda and amendment requests.

A note is drafted by anyone who documents visits (clinical.note.write: a clinician, or a nurse
or scribe "logging the doctor's notes"), autosaved with optimistic concurrency (`version`), and
signed by the encounter's own provider (clinical.note.sign). Once signed nothing in it changes:
these services refuse, `VisitNote.save` refuses, and the database triggers refuse (triggers.py).
Corrections are addenda, signed when written.

The signature's SHA-256 covers a canonical serialization (see `note_content_digest`); a
covering clinician does not sign another provider's note (they add an addendum to it once it is
signed). Every write is audited in its own transaction, with references, never note text.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.core import clock
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.core.datetimes import datetime_text
from clinicdesk.core.errors import Conflict
from clinicdesk.scheduling.clock import clock_text

from .models import (
    Addendum,
    AmendmentRequest,
    Encounter,
    EncounterStatus,
    NoteStatus,
    VisitNote,
)

SECTIONS = ("subjective", "objective", "assessment", "plan")
SECTION_MAX = 20_000
ADDENDUM_MAX = 20_000
AMENDMENT_TEXT_MAX = 20_000
# HIPAA 164.526(b)(2): act on a request no later than 60 days after receiving it.
AMENDMENT_DUE_DAYS = 60
# Taxonomy codes whose notes need a co-signature when the practice turns it on: nurse
# practitioners (363L…), physician assistants (363A…) and students in training / residents.
COSIGN_TAXONOMY_PREFIXES = ("363L", "363A")
COSIGN_TAXONOMY_CODES = ("390200000X",)


class NoteSignedError(Conflict):
    """An edit of a signed note was attempted. A Conflict (409 in the API); pages offer an addendum."""


# --- Small helpers ---------------------------------------------------------------------------


def _zone(encounter: Encounter) -> ZoneInfo:
    try:
        return ZoneInfo(encounter.location.time_zone)
    except Exception:  # a location always has a valid zone; fall back rather than fail a refusal
        return ZoneInfo(settings.TIME_ZONE)


def when_text(moment: datetime, encounter: Encounter, *, seconds: bool = False) -> str:
    """ "03/02/2026 9:41 AM" in the encounter's location time zone."""
    return datetime_text(moment, _zone(encounter), seconds=seconds)


def clock_of(moment: datetime, encounter: Encounter) -> str:
    """ "9:41:05 AM" in the encounter's location time zone (the autosave status line)."""
    return clock_text(timezone.localtime(moment, _zone(encounter)), seconds=True)


def signed_refusal(note: VisitNote) -> str:
    """The one message every route shows when someone tries to change a signed note."""
    signer = str(note.signed_by) if note.signed_by_id else "the clinician"
    when = when_text(note.signed_at, note.encounter) if note.signed_at else "an earlier date"
    return f"This note was signed by {signer} on {when} and cannot be changed. Add an addendum instead."


def require_capability(actor: User, capability: str, message: str) -> None:
    if not role_can(getattr(actor, "role", None), capability):
        raise PermissionDenied(message)


def _clean_sections(values: dict[str, str]) -> dict[str, str]:
    """The four sections with Windows line ends made plain; ValidationError naming each bad one."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    for name in SECTIONS:
        text = values.get(name)
        text = "" if text is None else str(text).replace("\r\n", "\n").replace("\r", "\n")
        if "\x00" in text:
            errors[name] = ["The text may not contain the NUL character."]
        elif len(text) > SECTION_MAX:
            errors[name] = [
                f"Keep each section under {SECTION_MAX:,} characters (this one has {len(text):,}). "
                "Move detail into an attached document or shorten it."
            ]
        cleaned[name] = text
    if errors:
        raise ValidationError(errors)
    return cleaned


def locked_note(note: VisitNote) -> VisitNote:
    """The note row, locked for this transaction, with what its messages name.

    The lock is taken on the bare row first and the related rows read after it. Locking with the
    joins in one statement goes wrong on PostgreSQL: a writer that got there first and changed
    `last_edited_by` makes the re-check after the wait compare the new row with the old joined
    user row, and the note seems to vanish (DoesNotExist) instead of showing the newer version.
    """
    VisitNote.objects.select_for_update().filter(pk=note.pk).values_list("pk", flat=True).get()
    return VisitNote.objects.select_related(
        "encounter__location",
        "encounter__patient",
        "encounter__provider__user",
        "signed_by",
        "last_edited_by",
        "author",
        "cosigned_by",
    ).get(pk=note.pk)


def _refresh_from(note: VisitNote, fresh: VisitNote) -> None:
    """Copy `fresh`'s stored values (and the related rows it loaded) onto the caller's `note`."""
    for field in VisitNote._meta.concrete_fields:
        setattr(note, field.attname, getattr(fresh, field.attname))
    for name, related in fresh._state.fields_cache.items():
        setattr(note, name, related)


# --- Signatures ------------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _digest(payload: dict) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def note_content_digest(*, encounter_public_id, sections: dict[str, str], signer_public_id, signed_at: datetime) -> str:
    """SHA-256 (hex) of the signed content.

    The serialization is JSON with sorted keys, no spaces, UTF-8, not ASCII-escaped, of
    {"assessment", "encounter", "objective", "plan", "signed_at", "signer", "subjective"}, where
    encounter and signer are public ids (UUID text) and signed_at is UTC ISO 8601 with
    microseconds ("2026-03-02T14:41:05.123456+00:00").
    """
    payload = {name: sections[name] for name in SECTIONS}
    payload.update(encounter=str(encounter_public_id), signer=str(signer_public_id), signed_at=_iso(signed_at))
    return _digest(payload)


def addendum_content_digest(*, note_public_id, text: str, author_public_id, signed_at: datetime) -> str:
    """SHA-256 of {"author", "note", "signed_at", "text"}, serialized as for notes."""
    payload = {"note": str(note_public_id), "text": text, "author": str(author_public_id), "signed_at": _iso(signed_at)}
    return _digest(payload)


def note_verify(note: VisitNote) -> bool:
    """True when a signed note's stored text still matches its signature (False for a draft)."""
    if not note.is_signed or note.signed_at is None or note.signed_by is None:
        return False
    expected = note_content_digest(
        encounter_public_id=note.encounter.public_id,
        sections={name: getattr(note, name) for name in SECTIONS},
        signer_public_id=note.signed_by.public_id,
        signed_at=note.signed_at,
    )
    return expected == note.content_sha256


def addendum_verify(addendum: Addendum) -> bool:
    expected = addendum_content_digest(
        note_public_id=addendum.note.public_id,
        text=addendum.text,
        author_public_id=addendum.author.public_id,
        signed_at=addendum.signed_at,
    )
    return expected == addendum.content_sha256


# --- Drafting --------------------------------------------------------------------------------


def _template_text(encounter: Encounter) -> dict[str, str]:
    """The starting text from the note template of the visit's appointment type, if any."""
    try:
        from clinicdesk.clinical.note_templates import note_template_for
    except ImportError:  # the templates module is optional: start empty without it
        return dict.fromkeys(SECTIONS, "")
    kind = encounter.appointment.appointment_type if encounter.appointment is not None else None
    template = note_template_for(kind)
    if template is None:
        return dict.fromkeys(SECTIONS, "")
    return {name: (getattr(template, name, "") or "")[:SECTION_MAX] for name in SECTIONS}


def note_start(*, actor: User, encounter: Encounter) -> VisitNote:
    """The note of `encounter`: the existing one, or a new draft with the template's text.

    One note per encounter, however many people click at once (the one-to-one column decides
    a race; the loser returns the winner's note). A new draft needs an open encounter.
    Raises PermissionDenied without clinical.note.write; ValidationError (field `encounter`)
    when the encounter is no longer open and has no note.
    """
    require_capability(actor, Cap.CLINICAL_NOTE_WRITE, "Your role does not include writing visit notes.")
    existing = VisitNote.objects.filter(encounter_id=encounter.pk).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return _note_create(actor, encounter)
    except IntegrityError:
        existing = VisitNote.objects.filter(encounter_id=encounter.pk).first()
        if existing is None:
            raise
        return existing


def _note_create(actor: User, encounter: Encounter) -> VisitNote:
    locked = (
        Encounter.objects.select_for_update(of=("self",)).select_related("patient", "appointment").get(pk=encounter.pk)
    )
    existing = VisitNote.objects.filter(encounter_id=locked.pk).first()
    if existing is not None:
        return existing
    if locked.status != EncounterStatus.OPEN:
        raise ValidationError({"encounter": ["This encounter is closed; a new note cannot be started in it."]})
    now = clock.now()
    note = VisitNote.objects.create(
        encounter=locked,
        author=actor,
        last_edited_by=actor,
        created_at=now,
        updated_at=now,
        **_template_text(locked),
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        object_type=ObjectType.VISIT_NOTE,
        object_id=note.public_id,
        patient_id=locked.patient.mrn,
        changed_fields=SECTIONS,
        detail=f"encounter={locked.public_id}",
    )
    return note


@transaction.atomic
def note_save_draft(
    *, actor: User, note: VisitNote, version: int, subjective: str, objective: str, assessment: str, plan: str
) -> VisitNote:
    """Save the draft's four sections (autosave), if `version` is still the stored one.

    Returns the note with its new version. Nothing is written (and the version stays) when the
    stored text is already the text sent, whatever version the page had. Raises NoteSignedError (a Conflict) for a signed note, Conflict (field
    `version`) when someone saved in between, ValidationError naming a section that is too long,
    PermissionDenied without clinical.note.write. The audit event names the changed sections.
    """
    require_capability(actor, Cap.CLINICAL_NOTE_WRITE, "Your role does not include writing visit notes.")
    sections = _clean_sections(
        {"subjective": subjective, "objective": objective, "assessment": assessment, "plan": plan}
    )
    fresh = locked_note(note)
    if fresh.is_signed:
        _refresh_from(note, fresh)
        raise NoteSignedError({"note": [signed_refusal(fresh)]})
    changed = [name for name in SECTIONS if getattr(fresh, name) != sections[name]]
    if not changed:
        # The stored text is already what was sent: nothing to write and nothing to overwrite,
        # even from a page one version behind (its own autosave racing its Sign button).
        _refresh_from(note, fresh)
        return note
    if version != fresh.version:
        who = str(fresh.last_edited_by) if fresh.last_edited_by_id != actor.pk else "you"
        raise Conflict(
            {
                "version": [
                    f"This note was changed by {who} at {when_text(fresh.updated_at, fresh.encounter, seconds=True)} "
                    "in another window; reload to see it. Your text is still in the boxes: copy what you need "
                    "before reloading."
                ]
            }
        )
    for name in SECTIONS:
        setattr(fresh, name, sections[name])
    fresh.version += 1
    fresh.last_edited_by = actor
    fresh.updated_at = clock.now()
    fresh.save(update_fields=[*SECTIONS, "version", "last_edited_by", "updated_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        object_type=ObjectType.VISIT_NOTE,
        object_id=fresh.public_id,
        patient_id=fresh.encounter.patient.mrn,
        changed_fields=changed,
        detail=f"draft version {fresh.version}",
    )
    _refresh_from(note, fresh)
    return note


# --- Signing ---------------------------------------------------------------------------------


def cosign_needed_for(encounter: Encounter) -> bool:
    """True when the practice wants co-signatures and the provider is an NP, PA or resident."""
    if not getattr(settings, "CLINICDESK_NOTE_COSIGN", False):
        return False
    code = (encounter.provider.taxonomy_code or "").strip().upper()
    return code.startswith(COSIGN_TAXONOMY_PREFIXES) or code in COSIGN_TAXONOMY_CODES


@transaction.atomic
def note_sign(*, actor: User, note: VisitNote) -> VisitNote:
    """Sign the note: who, when, and the SHA-256 of its content; the encounter becomes signed.

    Only the encounter's own provider signs, with clinical.note.sign (a covering clinician adds
    an addendum after the provider signs). Raises PermissionDenied for anyone else;
    NoteSignedError when already signed ("This note was signed by ... on ..."); ValidationError
    (field `note`) for an empty note. Audited.
    """
    require_capability(
        actor, Cap.CLINICAL_NOTE_SIGN, "Only a clinician signs visit notes. Ask the clinician to sign it."
    )
    fresh = locked_note(note)
    encounter = fresh.encounter
    if fresh.is_signed:
        _refresh_from(note, fresh)
        raise NoteSignedError({"note": [signed_refusal(fresh)]})
    if encounter.provider.user_id != actor.pk:
        raise PermissionDenied(
            f"Only {encounter.provider.user} (the encounter's provider) can sign this note. "
            "Ask them to sign it, or change the encounter's provider first."
        )
    if not any(getattr(fresh, name).strip() for name in SECTIONS):
        raise ValidationError({"note": ["Write the note before signing: all four sections are blank."]})
    now = clock.now()
    fresh.status = NoteStatus.SIGNED
    fresh.signed_by = actor
    fresh.signed_at = now
    fresh.cosign_required = cosign_needed_for(encounter)
    fresh.content_sha256 = note_content_digest(
        encounter_public_id=encounter.public_id,
        sections={name: getattr(fresh, name) for name in SECTIONS},
        signer_public_id=actor.public_id,
        signed_at=now,
    )
    fresh.save(update_fields=["status", "signed_by", "signed_at", "content_sha256", "cosign_required"])
    Encounter.objects.filter(pk=encounter.pk).update(status=EncounterStatus.SIGNED, updated_at=now)
    encounter.status = EncounterStatus.SIGNED
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        object_type=ObjectType.VISIT_NOTE,
        object_id=fresh.public_id,
        patient_id=encounter.patient.mrn,
        changed_fields=["status", "signed_by", "signed_at", "content_sha256"],
        detail=f"signed sha256={fresh.content_sha256}" + (" cosign required" if fresh.cosign_required else ""),
    )
    _refresh_from(note, fresh)
    return note


@transaction.atomic
def note_cosign(*, actor: User, note: VisitNote) -> VisitNote:
    """Co-sign a signed note that needs it, once, by a clinician other than the signer.

    Raises ValidationError (field `note`) for a draft, a note that needs no co-signature, or one
    already co-signed; PermissionDenied for the signer themself or a role without signing.
    """
    require_capability(actor, Cap.CLINICAL_NOTE_SIGN, "Only a clinician co-signs visit notes.")
    fresh = locked_note(note)
    if not fresh.is_signed:
        raise ValidationError({"note": ["The note must be signed by its author before it is co-signed."]})
    if not fresh.cosign_required:
        raise ValidationError({"note": ["This note does not need a co-signature."]})
    if fresh.cosigned_at is not None:
        raise ValidationError(
            {
                "note": [
                    f"This note was already co-signed by {fresh.cosigned_by} on "
                    f"{when_text(fresh.cosigned_at, fresh.encounter)}."
                ]
            }
        )
    if fresh.signed_by_id == actor.pk:
        raise PermissionDenied("The co-signature must come from another clinician than the one who signed.")
    fresh.cosigned_by = actor
    fresh.cosigned_at = clock.now()
    fresh.save(update_fields=["cosigned_by", "cosigned_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        object_type=ObjectType.VISIT_NOTE,
        object_id=fresh.public_id,
        patient_id=fresh.encounter.patient.mrn,
        changed_fields=["cosigned_by", "cosigned_at"],
        detail="co-signed",
    )
    _refresh_from(note, fresh)
    return note


# --- Addenda ---------------------------------------------------------------------------------


def clean_text(text: str | None, field: str, *, blank: str, limit: int) -> str:
    value = ("" if text is None else str(text)).replace("\r\n", "\n").replace("\r", "\n").strip()
    if not value:
        raise ValidationError({field: [blank]})
    if "\x00" in value:
        raise ValidationError({field: ["The text may not contain the NUL character."]})
    if len(value) > limit:
        raise ValidationError({field: [f"Keep it under {limit:,} characters (this has {len(value):,})."]})
    return value


def addendum_write(actor: User, note: VisitNote, text: str, request: AmendmentRequest | None) -> Addendum:
    """Write the addendum of a locked, signed note and mark its encounter amended (caller audits)."""
    now = clock.now()
    addendum = Addendum(
        note=note,
        text=text,
        author=actor,
        signed_at=now,
        amendment_request=request,
        content_sha256=addendum_content_digest(
            note_public_id=note.public_id, text=text, author_public_id=actor.public_id, signed_at=now
        ),
    )
    addendum.save()
    Encounter.objects.filter(pk=note.encounter_id).update(status=EncounterStatus.AMENDED, updated_at=now)
    note.encounter.status = EncounterStatus.AMENDED
    audit_record(
        actor=actor,
        action=Action.CREATE,
        object_type=ObjectType.ADDENDUM,
        object_id=addendum.public_id,
        patient_id=note.encounter.patient.mrn,
        changed_fields=["text"],
        detail=f"note={note.public_id} sha256={addendum.content_sha256}"
        + (f" amendment_request={request.public_id}" if request else ""),
    )
    return addendum


@transaction.atomic
def addendum_add(*, actor: User, note: VisitNote, text: str) -> Addendum:
    """Add a signed addendum under a signed note; the encounter becomes amended.

    Raises ValidationError: field `text` when blank or too long, field `note` when the note is
    still a draft (edit the draft instead); PermissionDenied without clinical.note.sign.
    """
    require_capability(actor, Cap.CLINICAL_NOTE_SIGN, "Only a clinician writes addenda. Ask the clinician to add it.")
    cleaned = clean_text(text, "text", blank="Write the addendum's text.", limit=ADDENDUM_MAX)
    fresh = locked_note(note)
    if not fresh.is_signed:
        raise ValidationError({"note": ["This note is still a draft: change the draft itself, then sign it."]})
    return addendum_write(actor, fresh, cleaned, None)


__all__ = [
    "NoteSignedError",
    "addendum_add",
    "addendum_verify",
    "note_cosign",
    "note_save_draft",
    "note_sign",
    "note_start",
    "note_verify",
]
