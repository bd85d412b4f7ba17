"""Note templates: the starting text of a visit note's four sections, per appointment type.

The office manager keeps one default template and, where useful, one per appointment type.
When a draft note starts, `note_template_for(appointment_type)` gives the type's template, or
the default, or empty sections. Templates hold boilerplate, never patient information, so their
text is stored in the clear; changes are audited (which sections changed, not the text).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.scheduling.models import AppointmentType

from .models import NoteTemplate

SECTIONS = ("subjective", "objective", "assessment", "plan")
SECTION_MAX = 10_000
# PostgreSQL advisory lock that serialises template saves. The model's "one default" constraint
# is a unique index on a NULL column, and NULLs never clash in a unique index, so it alone
# cannot stop two managers creating two defaults at once. (SQLite: IMMEDIATE transactions.)
TEMPLATE_LOCK_KEY = 0x434C4443_4E54  # "CLDC" "NT"


@dataclass(frozen=True)
class TemplateText:
    """The four starting texts (empty strings when there is no template at all)."""

    subjective: str = ""
    objective: str = ""
    assessment: str = ""
    plan: str = ""
    source: str = "none"  # "type", "default" or "none": where the text came from

    @classmethod
    def of(cls, template: NoteTemplate, source: str) -> TemplateText:
        return cls(**{name: getattr(template, name) for name in SECTIONS}, source=source)


def note_template_for(appointment_type: AppointmentType | None) -> TemplateText:
    """The starting text for a note of a visit of `appointment_type` (None: unscheduled visit).

    The type's own template when it has one, else the practice default, else empty sections.
    At most two small queries; no audit (templates hold no patient information).
    """
    if appointment_type is not None:
        own = NoteTemplate.objects.filter(appointment_type=appointment_type).order_by("pk").first()
        if own is not None:
            return TemplateText.of(own, "type")
    default = NoteTemplate.objects.filter(appointment_type__isnull=True).order_by("pk").first()
    if default is not None:
        return TemplateText.of(default, "default")
    return TemplateText()


def note_template_of(appointment_type: AppointmentType | None) -> NoteTemplate | None:
    """The template stored for exactly `appointment_type` (None: the default), if any."""
    return (
        NoteTemplate.objects.filter(
            **({"appointment_type": appointment_type} if appointment_type else {"appointment_type__isnull": True})
        )
        .order_by("pk")
        .first()
    )


def _clean(values: dict[str, str]) -> dict[str, str]:
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    for name in SECTIONS:
        text = (values.get(name) or "").replace("\r\n", "\n")
        if "\x00" in text:
            errors[name] = ["The text may not contain the NUL character."]
        elif len(text) > SECTION_MAX:
            errors[name] = [f"Keep each section under {SECTION_MAX:,} characters (this one has {len(text):,})."]
        cleaned[name] = text
    unknown = set(values) - set(SECTIONS)
    if unknown:
        errors["__all__"] = [f"Unknown section: {', '.join(sorted(unknown))}."]
    if errors:
        raise ValidationError(errors)
    return cleaned


def note_template_save(
    *, actor: User, appointment_type: AppointmentType | None, values: dict[str, str]
) -> NoteTemplate:
    """Create or replace the template of `appointment_type` (None: the default). Audited.

    `values` maps section names to their text (a missing section is saved empty). Two managers
    saving the same new template at once: one creates it, the other's text replaces it.
    """
    if not role_can(actor.role, Cap.CLINICAL_TEMPLATE_MANAGE):
        raise PermissionDenied("Your role does not include editing note templates.")
    cleaned = _clean(values)
    try:
        with transaction.atomic():
            return _save(actor, appointment_type, cleaned)
    except IntegrityError:
        # The other manager created the row first (the one-default / one-per-type constraint
        # refused ours): write over theirs, as if we had saved just after them.
        with transaction.atomic():
            return _save(actor, appointment_type, cleaned)


def _save(actor: User, appointment_type: AppointmentType | None, cleaned: dict[str, str]) -> NoteTemplate:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TEMPLATE_LOCK_KEY])
    scope = {"appointment_type": appointment_type} if appointment_type else {"appointment_type__isnull": True}
    template = NoteTemplate.objects.select_for_update().filter(**scope).order_by("pk").first()
    if template is None:
        template = NoteTemplate(appointment_type=appointment_type, updated_by=actor, **cleaned)
        changed = [name for name in SECTIONS if cleaned[name]]
        template.save()
        action = Action.CREATE
    else:
        changed = [name for name in SECTIONS if getattr(template, name) != cleaned[name]]
        for name in SECTIONS:
            setattr(template, name, cleaned[name])
        template.updated_by = actor
        template.save()
        action = Action.UPDATE
    audit_record(
        actor=actor,
        action=action,
        object_type=ObjectType.NOTE_TEMPLATE,
        object_id=str(appointment_type.public_id) if appointment_type else "default",
        changed_fields=changed,
    )
    return template
