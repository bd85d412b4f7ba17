"""What a person types for a patient (an MRN or a public id), turned into the MRN the rules key on.

The apps below patients (accounts' restricted-record flag and emergency grants, the audit
trail's patient column) store a patient as the MRN text and cannot import the patients app to
check it. Given anything else — a public id, a mistyped number — they used to store or filter
by it and so restrict or find nothing, silently. The patients app registers here how to look an
identifier up (from its AppConfig.ready); services below it call `patient_ref_or_refuse`.

Accepted: the 8-digit MRN (surrounding spaces ignored) and the patient's public id (UUID, any
case, with or without dashes). Both are what staff see: the MRN on the chart, printouts and in
URLs; the public id in the API. Core knows no app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured, ValidationError


@dataclass(frozen=True)
class PatientRef:
    mrn: str  # the record's own MRN (what audit events of that record name)
    current_mrn: str  # the MRN of the record it opens today: the survivor's after a merge, else `mrn`


Resolver = Callable[[str], PatientRef | None]
_resolver: Resolver | None = None


def resolver_register(resolve: Resolver) -> None:
    """Set how identifiers are looked up (the patients app does, once; registering again replaces it)."""
    global _resolver
    _resolver = resolve


def patient_ref(identifier: str | None) -> PatientRef | None:
    """The patient `identifier` names (MRN or public id), or None when it names none.

    Blank or malformed text is None without a query. Raises ImproperlyConfigured when no app
    registered a resolver (fail closed: never guess).
    """
    if _resolver is None:
        raise ImproperlyConfigured("no patient resolver is registered (is clinicdesk.patients installed?)")
    text = (identifier or "").strip()
    if not text or "\x00" in text or len(text) > 64:
        return None
    return _resolver(text)


def shown(identifier: str | None) -> str:
    """`identifier` as a message may quote it: printable characters only, at most 40."""
    text = "".join(ch if ch.isprintable() else "?" for ch in (identifier or "").strip())
    return text[:40] + ("…" if len(text) > 40 else "")


def unknown_patient_message(identifier: str | None) -> str:
    return (
        f"No patient has the MRN or id “{shown(identifier)}”. Check it against the chart "
        "(the MRN is 8 digits); nothing was changed."
    )


def patient_ref_or_refuse(identifier: str | None, *, field: str = "patient") -> PatientRef:
    """`patient_ref(identifier)`, or ValidationError({field: ...}) quoting what was given."""
    ref = patient_ref(identifier)
    if ref is None:
        raise ValidationError({field: [unknown_patient_message(identifier)]})
    return ref
