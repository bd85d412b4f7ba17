"""Restricting, lifting and breaking the glass name a real patient, by MRN or public id, or are refused.

Before, an identifier that was not an MRN (a public id, a typo) was stored as given: the record
stayed open while the person believed it restricted, and a grant opened nothing.
"""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ValidationError

from clinicdesk.accounts.access import EmergencyAccessRequired, access_restricted_record
from clinicdesk.accounts.models import EmergencyAccess, RestrictedRecord
from clinicdesk.accounts.services import emergency_access_grant, record_restrict, record_unrestrict
from clinicdesk.audit.models import AuditEvent
from clinicdesk.patients.access import access_patient
from clinicdesk.patients.mrn import mrn_is_valid
from clinicdesk.scheduling.tests.factories import make_patient

# Well formed (check digit right) but nobody's: refused by the lookup, not by the format check.
NOBODYS_MRN = next(f"1234567{d}" for d in range(10) if mrn_is_valid(f"1234567{d}"))
UNKNOWN = [NOBODYS_MRN, str(uuid.uuid4()), "MRN-000123", "12345678", "", "  "]


@pytest.fixture
def patient(office_manager):
    return make_patient(office_manager)


@pytest.mark.parametrize(
    "identifier", UNKNOWN, ids=["unused-mrn", "unused-uuid", "not-an-mrn", "bad-check", "empty", "blank"]
)
def test_it_refuses_to_restrict_an_identifier_that_names_no_patient(office_manager, patient, identifier):
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        record_restrict(actor=office_manager, patient_id=identifier)
    message = refused.value.message_dict["patient"][0]
    assert message.startswith(f"No patient has the MRN or id “{identifier.strip()}”")
    assert not RestrictedRecord.objects.exists()
    assert AuditEvent.objects.count() == events


def test_a_public_id_restricts_the_record_under_its_mrn(office_manager, clinician, patient):
    record_restrict(actor=office_manager, patient_id=str(patient.public_id).upper())
    assert list(RestrictedRecord.objects.values_list("patient_id", flat=True)) == [patient.mrn]
    with pytest.raises(EmergencyAccessRequired):
        access_patient(actor=clinician, mrn=patient.mrn)
    event = AuditEvent.objects.filter(detail="flagged restricted").get()
    assert (event.object_id, event.patient_id) == (patient.mrn, patient.mrn)


def test_an_mrn_with_spaces_around_it_is_the_mrn(office_manager, patient):
    record_restrict(actor=office_manager, patient_id=f"  {patient.mrn} ")
    assert RestrictedRecord.objects.get().patient_id == patient.mrn


def test_the_old_mrn_of_a_merged_record_restricts_the_record_it_opens(office_manager, clinician, patient):
    from clinicdesk.patients.merge import patient_merge

    duplicate = make_patient(office_manager, first="Janet")
    patient_merge(actor=office_manager, survivor=patient, merged=duplicate)
    record_restrict(actor=office_manager, patient_id=duplicate.mrn)
    assert RestrictedRecord.objects.get().patient_id == patient.mrn
    with pytest.raises(EmergencyAccessRequired):
        access_patient(actor=clinician, mrn=duplicate.mrn)  # the alias opens the survivor, now restricted


def test_it_refuses_to_lift_a_restriction_of_no_patient_and_lifts_one_by_public_id(office_manager, patient):
    record_restrict(actor=office_manager, patient_id=patient.mrn)
    with pytest.raises(ValidationError, match="No patient has the MRN or id"):
        record_unrestrict(actor=office_manager, patient_id=NOBODYS_MRN)
    assert RestrictedRecord.objects.filter(patient_id=patient.mrn).exists()
    record_unrestrict(actor=office_manager, patient_id=str(patient.public_id))
    assert not RestrictedRecord.objects.exists()
    assert AuditEvent.objects.filter(detail="restriction lifted", patient_id=patient.mrn).count() == 1


def test_it_refuses_an_emergency_grant_for_no_patient(clinician, patient):
    with pytest.raises(ValidationError) as refused:
        emergency_access_grant(actor=clinician, patient_id=NOBODYS_MRN, reason="Chest pain in clinic right now")
    assert NOBODYS_MRN in refused.value.message_dict["patient"][0]
    assert not EmergencyAccess.objects.exists()


def test_an_emergency_grant_by_public_id_opens_the_record(office_manager, clinician, patient):
    record_restrict(actor=office_manager, patient_id=patient.mrn)
    grant = emergency_access_grant(
        actor=clinician, patient_id=str(patient.public_id), reason="Chest pain in clinic right now"
    )
    assert grant.patient_id == patient.mrn
    access_restricted_record(actor=clinician, patient_id=patient.mrn)  # open now


def test_the_break_the_glass_page_of_no_patient_is_a_404(as_user, clinician, patient):
    client = as_user(clinician)
    assert client.get(f"/emergency/{NOBODYS_MRN}/").status_code == 404
    response = client.post(f"/emergency/{NOBODYS_MRN}/", {"reason": "Chest pain in clinic right now"})
    assert response.status_code == 404
    assert not EmergencyAccess.objects.exists()
    assert client.get(f"/emergency/{patient.mrn}/").status_code == 200
