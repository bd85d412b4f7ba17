from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import models

from clinicdesk.accounts.selectors import record_is_restricted
from clinicdesk.accounts.services import record_restrict
from clinicdesk.audit.models import Action, AuditEvent
from clinicdesk.patients import merge as merge_module
from clinicdesk.patients.access import access_patient
from clinicdesk.patients.coverage import CoverageInput, coverage_add
from clinicdesk.patients.merge import (
    MergeIncomplete,
    patient_merge,
    patient_relations,
    rows_linked_to,
    uncovered_relations,
)
from clinicdesk.patients.models import (
    Coverage,
    CoveragePriority,
    Patient,
    PatientFieldChange,
    PatientPhone,
    PatientStatus,
    PayerType,
)
from clinicdesk.patients.payers import PayerInput, payer_create
from clinicdesk.patients.search.access import access_patient_search
from clinicdesk.patients.search.models import PatientAlias, PatientMerge, PatientNamePair, PatientSearchTerm
from clinicdesk.patients.search.services import search_terms_of
from clinicdesk.patients.services import PatientInput, patient_register, patient_update


def register(actor, first, last, born=date(1962, 3, 14), *, phones=None, ssn=None, **more) -> Patient:
    values = {"first_name": first, "last_name": last, "date_of_birth": born, "sex_at_birth": "F", **more}
    return patient_register(actor=actor, data=PatientInput(values=values, phones=phones or {}, ssn=ssn))


@pytest.fixture
def aetna(biller):
    return payer_create(actor=biller, data=PayerInput(name="Aetna", payer_type=PayerType.COMMERCIAL, payer_id="60054"))


def cover(actor, patient, payer, priority, member_id, effective=date(2024, 1, 1)) -> Coverage:
    data = CoverageInput(payer=payer, priority=priority, effective_date=effective, member_id=member_id)
    return coverage_add(actor=actor, patient=patient, data=data)


@pytest.fixture
def pair(front_desk, biller, aetna):
    """Jane Doe twice: the survivor with a mobile and a primary, the duplicate with more."""
    survivor = register(front_desk, "Jane", "Doe", phones={"mobile": "(518) 555-0142"})
    duplicate = register(
        front_desk, "Jane", "Doe", phones={"home": "(518) 555-0100", "work": "(518) 555-0101"}, ssn="123-45-6789",
        email="jane@example.com",
    )  # fmt: skip
    cover(biller, survivor, aetna, CoveragePriority.PRIMARY, "S1")
    cover(biller, duplicate, aetna, CoveragePriority.SECONDARY, "D2")
    patient_update(actor=front_desk, patient=duplicate, data=PatientInput(values={"city": "Albany"}))
    return survivor, duplicate


def _pks(model: type[models.Model], field: str, patient: Patient) -> set[int]:
    return set(model._base_manager.filter(**{field: patient.pk}).values_list("pk", flat=True))


# Rows a merge rebuilds or adds rather than moves; checked on their own below.
_REBUILT = {PatientSearchTerm, PatientNamePair, PatientMerge, PatientFieldChange, PatientAlias}


def test_a_merge_moves_every_linked_row_exactly_once(office_manager, pair):
    survivor, duplicate = pair
    relations = [(m, f) for m, f in patient_relations() if m not in _REBUILT]
    before = {(m, f): (_pks(m, f, survivor), _pks(m, f, duplicate)) for m, f in relations}
    totals = {m: m._base_manager.count() for m, _ in relations}
    history_before = _pks(PatientFieldChange, "patient", survivor) | _pks(PatientFieldChange, "patient", duplicate)
    assert sum(len(d) for _, d in before.values()) >= 3  # phones, coverage and more really are at stake

    patient_merge(actor=office_manager, survivor=survivor, merged=duplicate)

    assert rows_linked_to(duplicate) == {}
    for (model, field), (mine, theirs) in before.items():
        assert _pks(model, field, survivor) == mine | theirs, model._meta.label  # none lost, none doubled
        assert model._base_manager.count() == totals[model], model._meta.label  # nothing copied or deleted
    assert history_before <= _pks(PatientFieldChange, "patient", survivor)
    terms = set(PatientSearchTerm.objects.filter(patient=survivor).values_list("term", "source"))
    assert terms == set(search_terms_of(survivor))
    assert not PatientSearchTerm.objects.filter(patient=duplicate).exists()
    assert list(PatientAlias.objects.values_list("mrn", "patient_id")) == [(duplicate.mrn, survivor.pk)]


def test_the_survivor_keeps_its_details_and_fills_blanks_from_the_merged_record(office_manager, pair):
    survivor, duplicate = pair
    patient_merge(actor=office_manager, survivor=survivor, merged=duplicate)
    survivor.refresh_from_db()
    duplicate.refresh_from_db()
    assert (survivor.email, survivor.city, survivor.ssn_last4) == ("jane@example.com", "Albany", "6789")
    assert survivor.status == PatientStatus.ACTIVE and duplicate.status == PatientStatus.INACTIVE
    assert PatientMerge.objects.get().merged == duplicate
    assert PatientFieldChange.objects.filter(patient=survivor, field="merged", new_value=duplicate.mrn).exists()


def test_a_phone_of_a_kind_the_survivor_has_is_dropped_into_history(front_desk, office_manager):
    survivor = register(front_desk, "Jane", "Doe", phones={"mobile": "(518) 555-0142"})
    duplicate = register(front_desk, "Jane", "Doe", phones={"mobile": "(518) 555-0199"})
    patient_merge(actor=office_manager, survivor=survivor, merged=duplicate)
    assert list(PatientPhone.objects.values_list("patient_id", "number")) == [(survivor.pk, "+15185550142")]
    change = PatientFieldChange.objects.get(patient=survivor, field__startswith="phone_mobile")
    assert (change.old_value, change.new_value) == ("+15185550199", "+15185550142")


def test_a_clashing_active_coverage_is_ended_not_deleted(front_desk, biller, office_manager, aetna):
    survivor = register(front_desk, "Jane", "Doe")
    duplicate = register(front_desk, "Jane", "Doe")
    mine = cover(biller, survivor, aetna, CoveragePriority.PRIMARY, "S1")
    theirs = cover(biller, duplicate, aetna, CoveragePriority.PRIMARY, "D1")
    patient_merge(actor=office_manager, survivor=survivor, merged=duplicate)
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.patient == survivor and mine.ended_at is None
    assert theirs.patient == survivor and theirs.ended_at is not None and theirs.ended_by == office_manager
    assert "Merged from" in theirs.end_reason
    assert Coverage.objects.filter(patient=survivor, ended_at__isnull=True).count() == 1


def test_the_merged_mrn_opens_the_survivor(office_manager, front_desk, pair, as_user):
    survivor, duplicate = pair
    patient_merge(actor=office_manager, survivor=survivor, merged=duplicate)
    assert access_patient(actor=front_desk, mrn=duplicate.mrn) == survivor
    response = as_user(front_desk).get(f"/patients/{duplicate.mrn}/")
    assert response.status_code == 302 and response["Location"] == f"/patients/{survivor.mrn}/"
    assert as_user(front_desk).get(response["Location"]).status_code == 200


def test_search_by_the_old_mrn_finds_the_survivor_and_the_merged_row_is_never_listed(office_manager, front_desk, pair):
    survivor, duplicate = pair
    patient_merge(actor=office_manager, survivor=survivor, merged=duplicate)
    hits = access_patient_search(actor=front_desk, text=duplicate.mrn).hits
    assert [(h.mrn, h.match) for h in hits] == [(survivor.mrn, "former MRN")]
    for text in ("jane doe", "03/14/1962", "123-45-6789", "518-555-0100"):
        assert [h.mrn for h in access_patient_search(actor=front_desk, text=text).hits] == [survivor.mrn], text


def test_an_alias_follows_a_later_merge_of_its_survivor(front_desk, office_manager):
    a, b, c = (register(front_desk, "Jane", "Doe") for _ in range(3))
    patient_merge(actor=office_manager, survivor=b, merged=a)
    patient_merge(actor=office_manager, survivor=c, merged=b)
    assert dict(PatientAlias.objects.values_list("mrn", "patient_id")) == {a.mrn: c.pk, b.mrn: c.pk}
    assert access_patient(actor=front_desk, mrn=a.mrn) == c


def test_a_record_cannot_be_merged_into_itself_or_merged_twice(front_desk, office_manager):
    a, b, c = (register(front_desk, "Jane", "Doe") for _ in range(3))
    with pytest.raises(ValidationError, match="cannot be merged into itself"):
        patient_merge(actor=office_manager, survivor=a, merged=a)
    patient_merge(actor=office_manager, survivor=b, merged=a)
    with pytest.raises(ValidationError, match=f"{a.mrn} was already merged into {b.mrn}"):
        patient_merge(actor=office_manager, survivor=c, merged=a)
    with pytest.raises(ValidationError, match="already merged"):
        patient_merge(actor=office_manager, survivor=a, merged=c)
    assert PatientMerge.objects.count() == 1


def test_a_merge_is_audited_once_as_a_merge_and_once_for_each_patient(office_manager, pair):
    survivor, duplicate = pair
    before = AuditEvent.objects.count()
    patient_merge(actor=office_manager, survivor=survivor, merged=duplicate)
    merge = AuditEvent.objects.get(object_type="patient_merge")
    assert (merge.action, merge.object_id, merge.patient_id) == (Action.UPDATE, duplicate.mrn, survivor.mrn)
    assert "coverages:1" in merge.detail and "Jane" not in merge.detail
    updates = AuditEvent.objects.filter(pk__gt=merge.pk, object_type="patient", action=Action.UPDATE)
    assert sorted(updates.values_list("object_id", flat=True)) == sorted([survivor.mrn, duplicate.mrn])
    # plus one per moved coverage
    assert AuditEvent.objects.count() - before == 3 + 1


def test_a_restricted_duplicate_makes_the_survivor_restricted(office_manager, front_desk, pair):
    survivor, duplicate = pair
    record_restrict(actor=office_manager, patient_id=duplicate.mrn)
    patient_merge(actor=office_manager, survivor=survivor, merged=duplicate)
    assert record_is_restricted(patient_id=survivor.mrn)


def test_rows_no_step_moves_make_the_merge_fail_and_roll_back(office_manager, pair, monkeypatch):
    """An app that forgets to register a merge step cannot lose rows: the merge refuses."""
    survivor, duplicate = pair
    monkeypatch.delitem(merge_module._steps, "phones")
    audit_before = AuditEvent.objects.count()
    with pytest.raises(MergeIncomplete, match="patients.PatientPhone.patient"):
        patient_merge(actor=office_manager, survivor=survivor, merged=duplicate)
    duplicate.refresh_from_db()
    assert duplicate.status == PatientStatus.ACTIVE
    assert PatientPhone.objects.filter(patient=duplicate).count() == 2
    assert Coverage.objects.filter(patient=duplicate).count() == 1  # the coverage step's work was undone too
    assert not PatientAlias.objects.exists() and not PatientMerge.objects.exists()
    assert AuditEvent.objects.count() == audit_before


def test_every_relation_to_a_patient_has_a_merge_step():
    """A new model with a foreign key to Patient needs `merge_step_register(..., covers=[...])`."""
    assert uncovered_relations() == []


# --- the merge page and the endpoint -------------------------------------------------------------


def test_the_office_manager_previews_and_confirms_a_merge(as_user, office_manager, pair):
    survivor, duplicate = pair
    client = as_user(office_manager)
    preview = client.get(f"/patients/{survivor.mrn}/merge/", {"merge": duplicate.mrn})
    body = preview.content.decode()
    assert preview.status_code == 200
    assert duplicate.mrn in body and "2 patient phones" in body and "1 coverages" in body
    response = client.post(f"/patients/{survivor.mrn}/merge/", {"merge": duplicate.mrn, "confirm": "1"})
    assert response.status_code == 302 and response["Location"] == f"/patients/{survivor.mrn}/"
    assert PatientAlias.objects.get().mrn == duplicate.mrn


def test_the_merge_page_explains_a_refusal(as_user, office_manager, pair):
    survivor, _ = pair
    response = as_user(office_manager).post(f"/patients/{survivor.mrn}/merge/", {"merge": survivor.mrn, "confirm": "1"})
    assert response.status_code == 422
    assert "cannot be merged into itself" in response.content.decode()
    assert not PatientMerge.objects.exists()


def test_the_front_desk_cannot_merge(as_user, front_desk, pair):
    survivor, duplicate = pair
    response = as_user(front_desk).post(f"/patients/{survivor.mrn}/merge/", {"merge": duplicate.mrn, "confirm": "1"})
    assert response.status_code == 403
    api = as_user(front_desk).post(
        f"/api/v1/patients/{survivor.mrn}/merge", {"merge": duplicate.mrn}, content_type="application/json"
    )
    assert api.status_code == 403
    assert not PatientMerge.objects.exists()


def test_the_api_merges_and_refuses_a_self_merge(as_user, office_manager, pair):
    survivor, duplicate = pair
    client = as_user(office_manager)
    url = f"/api/v1/patients/{survivor.mrn}/merge"
    refused = client.post(url, {"merge": survivor.mrn}, content_type="application/json")
    assert refused.status_code == 422 and "itself" in refused.json()["errors"][0]["message"]
    response = client.post(url, {"merge": duplicate.mrn}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["survivor"] == survivor.mrn and response.json()["moved"]["phones"] == 2
    again = client.post(url, {"merge": duplicate.mrn}, content_type="application/json")
    assert again.status_code == 409
    assert client.get(f"/api/v1/patients/{duplicate.mrn}").json()["mrn"] == survivor.mrn
