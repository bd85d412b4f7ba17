"""Keeping the search index in step with the patients table.

`patient_register` and `patient_update` call `search_index_patient` inside their own
transaction, so a committed patient is always findable by its committed name. Bulk writers
(import, merge, demo data) call `search_index_patients` once per batch.
"""

from __future__ import annotations

from collections.abc import Iterable

from clinicdesk.patients.models import Patient

from .models import PatientSearchTerm, SearchWord, TermSource
from .names import canonical_names, name_tokens


def search_terms_of(patient: Patient) -> list[tuple[str, int]]:
    """(term, source) pairs for `patient`, each term once, the most telling source kept."""
    seen: dict[str, int] = {}
    fields = (
        (patient.first_name, TermSource.FIRST),
        (patient.last_name, TermSource.LAST),
        (patient.preferred_name, TermSource.PREFERRED),
        (patient.middle_name, TermSource.MIDDLE),
    )
    for text, source in fields:
        for token in name_tokens(text or ""):
            seen.setdefault(token, source)
    for text in (patient.first_name, patient.preferred_name, patient.middle_name):
        for token in name_tokens(text or ""):
            for canonical in canonical_names(token):
                seen.setdefault(canonical, TermSource.NICKNAME)
    return list(seen.items())


def search_index_patients(patients: Iterable[Patient]) -> int:
    """Rebuild the index rows of `patients` (saved ones). Returns how many terms were written."""
    patients = list(patients)
    if not patients:
        return 0
    PatientSearchTerm.objects.filter(patient_id__in=[p.pk for p in patients]).delete()
    rows = [
        PatientSearchTerm(patient_id=p.pk, term=term, source=source)
        for p in patients
        for term, source in search_terms_of(p)
    ]
    PatientSearchTerm.objects.bulk_create(rows, batch_size=2000)
    words = sorted({row.term for row in rows})
    SearchWord.objects.bulk_create([SearchWord(term=w) for w in words], batch_size=2000, ignore_conflicts=True)
    return len(rows)


def search_index_patient(patient: Patient) -> None:
    """Rebuild one patient's index rows; call it in the transaction that saved the patient."""
    search_index_patients([patient])
