"""Encounter diagnoses: 1..12 ranked, distinct, billable codes; linked to problems; billers read codes."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import ValidationError

from clinicdesk.audit.models import Action
from clinicdesk.clinical.models import EncounterDiagnosis, EncounterStatus, VisitNote
from clinicdesk.clinical.problems import DiagnosisInput, encounter_diagnoses_set, problem_add
from clinicdesk.core import clock as app_clock

from .helpers import BILLABLE, audit_head, events_since

API = "/api/v1/clinical"


def _dx(*codes: str) -> list[DiagnosisInput]:
    return [DiagnosisInput(code=c) for c in codes]


def _ranked(encounter) -> list[tuple[int, str]]:
    return list(EncounterDiagnosis.objects.filter(encounter=encounter).order_by("rank").values_list("rank", "code"))


def test_diagnoses_are_ranked_in_the_order_given_and_blank_boxes_close_up(clinician, encounter):
    head = audit_head()
    encounter_diagnoses_set(actor=clinician, encounter=encounter, diagnoses=_dx("i10", "", "E11.9", " "))
    assert _ranked(encounter) == [(1, "I10"), (2, "E11.9")]
    [event] = events_since(head)
    assert (event.action, event.object_type, event.object_id) == (
        Action.UPDATE, "encounter_diagnoses", str(encounter.public_id),
    )  # fmt: skip
    assert "I10" not in event.detail + event.changed_fields
    encounter_diagnoses_set(actor=clinician, encounter=encounter, diagnoses=_dx("E11.9", "I10"))
    assert _ranked(encounter) == [(1, "E11.9"), (2, "I10")]


def test_every_bad_box_is_named_and_nothing_changes(clinician, encounter):
    encounter_diagnoses_set(actor=clinician, encounter=encounter, diagnoses=_dx("I10"))
    with pytest.raises(ValidationError) as refused:
        encounter_diagnoses_set(actor=clinician, encounter=encounter, diagnoses=_dx("E11.9", "E11", "e119", "Q99.99"))
    assert refused.value.message_dict == {
        "dx_2": ["E11 is a category, not a billable code; choose a more specific code such as E11.9"],
        "dx_3": ["E11.9 is already diagnosis 1; list a code once."],
        "dx_4": ["Q99.99 is not an ICD-10-CM code"],
    }
    assert _ranked(encounter) == [(1, "I10")]


def test_more_than_twelve_diagnoses_are_refused(clinician, encounter):
    with pytest.raises(ValidationError) as refused:
        encounter_diagnoses_set(actor=clinician, encounter=encounter, diagnoses=_dx(*BILLABLE[:13]))
    assert refused.value.message_dict == {"diagnoses": ["An encounter has at most 12 diagnoses."]}
    encounter_diagnoses_set(actor=clinician, encounter=encounter, diagnoses=_dx(*BILLABLE[:12]))
    assert [rank for rank, _ in _ranked(encounter)] == list(range(1, 13))


def test_a_diagnosis_on_the_active_problem_list_is_linked_to_the_problem(clinician, encounter, patient):
    problem = problem_add(actor=clinician, patient=patient, code="I10")
    [linked, unlinked] = encounter_diagnoses_set(actor=clinician, encounter=encounter, diagnoses=_dx("I10", "R05.9"))
    assert linked.problem == problem and unlinked.problem is None


def test_diagnoses_may_be_corrected_after_the_note_is_signed(clinician, encounter):
    note = VisitNote.objects.create(encounter=encounter, plan="Rest.", author=clinician, last_edited_by=clinician)
    VisitNote.objects.filter(pk=note.pk).update(
        status="signed", signed_by=clinician, signed_at=app_clock.now(), content_sha256=hashlib.sha256(b"x").hexdigest()
    )
    encounter.status = EncounterStatus.SIGNED
    encounter.save(update_fields=["status"])
    encounter_diagnoses_set(actor=clinician, encounter=encounter, diagnoses=_dx("R05.9", "J45.909"))
    assert _ranked(encounter) == [(1, "R05.9"), (2, "J45.909")]
    note.refresh_from_db()
    assert note.is_signed and note.plan == "Rest."


def test_the_page_fills_from_the_problem_list_and_saves(as_user, clinician, encounter, patient):
    problem_add(actor=clinician, patient=patient, code="E11.9")
    client = as_user(clinician)
    url = f"/clinical/encounters/{encounter.public_id}/diagnoses/"
    filled = client.get(url + "edit/?from=problems")
    assert filled.status_code == 200 and b'value="E11.9"' in filled.content
    bad = client.post(url + "edit/", {"dx_1": "E11.9", "dx_2": "E11"})
    assert bad.status_code == 422 and b"E11 is a category" in bad.content and b'value="E11.9"' in bad.content
    assert _ranked(encounter) == []
    saved = client.post(url + "edit/", {"dx_1": "E11.9", "dx_2": "I10"})
    assert saved.status_code == 302 and saved["Location"] == url
    page = client.get(url)
    assert b"E11.9" in page.content and b"Essential (primary) hypertension" in page.content


def test_billers_read_codes_and_ranks_but_cannot_change_them(as_user, clinician, biller, encounter):
    encounter_diagnoses_set(actor=clinician, encounter=encounter, diagnoses=_dx("I10"))
    client = as_user(biller)
    assert client.get(f"/clinical/encounters/{encounter.public_id}/diagnoses/").status_code == 200
    rows = client.get(f"{API}/encounters/{encounter.public_id}/diagnoses").json()
    assert rows == [{"rank": 1, "code": "I10", "description": "Essential (primary) hypertension", "problem": None}]
    refused = client.put(
        f"{API}/encounters/{encounter.public_id}/diagnoses", {"codes": ["E11.9"]}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert (
        client.post(f"/clinical/encounters/{encounter.public_id}/diagnoses/edit/", {"dx_1": "R05.9"}).status_code == 403
    )
    assert _ranked(encounter) == [(1, "I10")]


def test_the_front_desk_never_sees_diagnoses(as_user, front_desk, encounter):
    client = as_user(front_desk)
    assert client.get(f"/clinical/encounters/{encounter.public_id}/diagnoses/").status_code == 403
    assert client.get(f"{API}/encounters/{encounter.public_id}/diagnoses").status_code == 403


def test_the_api_sets_diagnoses_and_names_the_bad_box(as_user, nurse, encounter):
    client = as_user(nurse)
    url = f"{API}/encounters/{encounter.public_id}/diagnoses"
    bad = client.put(url, {"codes": ["I10", "I10"]}, content_type="application/json")
    assert bad.status_code == 422
    assert bad.json()["errors"] == [{"field": "dx_2", "message": "I10 is already diagnosis 1; list a code once."}]
    too_many = client.put(url, {"codes": BILLABLE[:13]}, content_type="application/json")
    assert too_many.status_code == 422
    ok = client.put(url, {"codes": ["R05.9", "I10"]}, content_type="application/json")
    assert ok.status_code == 200 and [d["code"] for d in ok.json()] == ["R05.9", "I10"]
    assert client.put(url, {"codes": []}, content_type="application/json").json() == []
    assert client.get(f"{API}/encounters/00000000-0000-0000-0000-000000000000/diagnoses").status_code == 404
