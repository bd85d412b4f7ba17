from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from clinicdesk.audit.models import Action, AuditEvent
from clinicdesk.core.errors import Conflict
from clinicdesk.patients.coverage import (
    CoverageInput,
    coverage_add,
    coverage_end,
    coverages_active,
    coverages_all,
    mbi_normalize,
    member_id_normalize,
)
from clinicdesk.patients.models import Coverage, CoveragePriority, PayerType, Relationship
from clinicdesk.patients.payers import PayerInput, payer_create, payer_update
from clinicdesk.patients.services import PatientInput, patient_register


@pytest.fixture
def patient(front_desk):
    return patient_register(
        actor=front_desk,
        data=PatientInput(
            values={"first_name": "Jane", "last_name": "Doe", "date_of_birth": date(1962, 3, 14), "sex_at_birth": "F"}
        ),
    )


@pytest.fixture
def aetna(biller):
    return payer_create(actor=biller, data=PayerInput(name="Aetna", payer_type=PayerType.COMMERCIAL, payer_id="60054"))


@pytest.fixture
def medicare(biller):
    return payer_create(
        actor=biller, data=PayerInput(name="Medicare Part B NY", payer_type=PayerType.MEDICARE, payer_id="13202")
    )


def policy(payer, **overrides) -> CoverageInput:
    values = {
        "payer": payer,
        "priority": CoveragePriority.PRIMARY,
        "effective_date": date(2026, 1, 1),
        "member_id": " w123456789 ",
        "plan_name": "Choice POS II",
        "group_number": "0847291",
    }
    values.update(overrides)
    return CoverageInput(**values)


def _events(**filters):
    return AuditEvent.objects.filter(object_type="coverage", **filters)


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("1EG4-TE5-MK73", "1EG4TE5MK73"),
        ("1eg4te5mk73", "1EG4TE5MK73"),
        (" 9AA0A00AA00 ", "9AA0A00AA00"),
        ("2C34D56EF78", "2C34D56EF78"),
    ],
)
def test_well_formed_mbis_are_accepted_with_or_without_dashes(typed, stored):
    assert mbi_normalize(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "0EG4TE5MK73",  # position 1 is 1-9
        "1SG4TE5MK73",  # S is never used
        "1EG4TE5MK7",  # 10 characters
        "1EG4TE5MK733",  # 12 characters
        "1EGATE5MK73",  # position 4 must be a digit
        "1EG4TE5MB73",  # B is never used
        "1EG4TE5M173",  # position 9 must be a letter
        "1EG4TE5MK7A",  # position 11 must be a digit
        "123-45-6789",  # an SSN is not an MBI
        "",
    ],
)
def test_malformed_mbis_are_refused(typed):
    with pytest.raises(ValueError, match="11 characters"):
        mbi_normalize(typed)


def test_other_member_ids_are_only_trimmed_and_upper_cased():
    assert member_id_normalize("  xgp-123 456 ", payer_type=PayerType.COMMERCIAL) == "XGP-123 456"
    assert member_id_normalize("1eg4-te5-mk73", payer_type=PayerType.MEDICARE) == "1EG4TE5MK73"


def test_a_coverage_is_added_with_a_normalised_member_id_and_one_audit_event(front_desk, patient, aetna):
    coverage = coverage_add(actor=front_desk, patient=patient, data=policy(aetna))
    coverage.refresh_from_db()
    assert (coverage.member_id, coverage.payer, coverage.is_active) == ("W123456789", aetna, True)
    assert coverage.relationship == Relationship.SELF and coverage.created_by == front_desk
    event = _events().get()
    assert (event.action, event.object_id, event.patient_id) == (Action.CREATE, str(coverage.public_id), patient.mrn)
    assert "member_id" in event.changed_fields.split(",") and "W123456789" not in event.detail


def test_a_medicare_coverage_needs_a_valid_mbi(front_desk, patient, medicare):
    with pytest.raises(ValidationError) as caught:
        coverage_add(actor=front_desk, patient=patient, data=policy(medicare, member_id="123456789A"))
    assert "MBI" in caught.value.message_dict["member_id"][0]
    coverage = coverage_add(actor=front_desk, patient=patient, data=policy(medicare, member_id="1eg4-te5-mk73"))
    assert coverage.member_id == "1EG4TE5MK73" and coverage.member_id_display == "1EG4-TE5-MK73"
    assert _events().count() == 1


def test_a_second_active_primary_is_refused_with_a_sentence(front_desk, patient, aetna, medicare):
    coverage_add(actor=front_desk, patient=patient, data=policy(aetna))
    with pytest.raises(Conflict) as caught:
        coverage_add(actor=front_desk, patient=patient, data=policy(medicare, member_id="1EG4TE5MK73"))
    assert caught.value.message_dict["priority"] == [
        "This patient already has an active primary coverage: Aetna. End it first or make this one secondary."
    ]
    assert Coverage.objects.count() == 1 and _events().count() == 1
    secondary = coverage_add(
        actor=front_desk, patient=patient, data=policy(medicare, member_id="1EG4TE5MK73", priority="secondary")
    )
    assert [c.priority for c in coverages_active(patient=patient)] == ["primary", "secondary"]
    assert secondary.is_active


def test_the_database_itself_refuses_two_active_primaries(front_desk, patient, aetna, medicare):
    coverage_add(actor=front_desk, patient=patient, data=policy(aetna))
    with pytest.raises(IntegrityError), transaction.atomic():
        Coverage.objects.create(
            patient=patient,
            payer=medicare,
            priority=CoveragePriority.PRIMARY,
            member_id="1EG4TE5MK73",
            effective_date=date(2026, 2, 1),
            created_by=front_desk,
        )
    # Ended coverages do not count: any number of them may share a priority.
    for day in (1, 2):
        Coverage.objects.create(
            patient=patient,
            payer=medicare,
            priority=CoveragePriority.PRIMARY,
            effective_date=date(2025, 1, day),
            end_date=date(2025, 12, 31),
            ended_at=aetna.created_at,
            created_by=front_desk,
        )
    assert Coverage.objects.filter(priority="primary").count() == 3


def test_the_database_refuses_an_end_before_the_start(front_desk, patient, aetna):
    with pytest.raises(IntegrityError), transaction.atomic():
        Coverage.objects.create(
            patient=patient,
            payer=aetna,
            priority=CoveragePriority.PRIMARY,
            effective_date=date(2026, 2, 1),
            end_date=date(2026, 1, 31),
            created_by=front_desk,
        )


def test_ending_keeps_the_history_and_frees_the_priority(front_desk, biller, patient, aetna, medicare):
    old = coverage_add(actor=front_desk, patient=patient, data=policy(aetna))
    coverage_end(actor=biller, coverage=old, end_date=date(2026, 6, 30), reason="new employer plan")
    new = coverage_add(
        actor=biller, patient=patient, data=policy(aetna, member_id="W999", effective_date=date(2026, 7, 1))
    )
    old.refresh_from_db()
    assert (old.end_date, old.ended_by, old.end_reason, old.member_id) == (
        date(2026, 6, 30),
        biller,
        "new employer plan",
        "W123456789",
    )
    assert not old.is_active and new.is_active
    assert list(coverages_active(patient=patient)) == [new]
    assert list(coverages_all(patient=patient)) == [new, old]
    assert [e.action for e in _events().order_by("seq")] == [Action.CREATE, Action.UPDATE, Action.CREATE]
    ended = _events(action=Action.UPDATE).get()
    assert ended.object_id == str(old.public_id) and ended.actor == biller


def test_a_coverage_ends_only_once_and_not_before_it_began(front_desk, patient, aetna):
    coverage = coverage_add(actor=front_desk, patient=patient, data=policy(aetna))
    with pytest.raises(ValidationError, match="before the effective date"):
        coverage_end(actor=front_desk, coverage=coverage, end_date=date(2025, 12, 31))
    coverage_end(actor=front_desk, coverage=coverage, end_date=date(2026, 3, 31))
    with pytest.raises(ValidationError, match="already ended"):
        coverage_end(actor=front_desk, coverage=coverage, end_date=date(2026, 4, 30))
    assert _events(action=Action.UPDATE).count() == 1


def test_a_subscriber_other_than_the_patient_must_be_named(front_desk, patient, aetna):
    with pytest.raises(ValidationError) as caught:
        coverage_add(actor=front_desk, patient=patient, data=policy(aetna, relationship=Relationship.CHILD))
    assert {"subscriber_first_name", "subscriber_last_name", "subscriber_date_of_birth", "subscriber_sex"} <= set(
        caught.value.message_dict
    )
    coverage = coverage_add(
        actor=front_desk,
        patient=patient,
        data=policy(
            aetna,
            relationship=Relationship.CHILD,
            subscriber_first_name="John",
            subscriber_last_name="Doe",
            subscriber_date_of_birth=date(1960, 5, 1),
            subscriber_sex="M",
            subscriber_state="ny",
            subscriber_zip_code="122071234",
        ),
    )
    assert (coverage.subscriber_state, coverage.subscriber_zip_code) == ("NY", "12207-1234")
    assert not coverage.subscriber_is_patient


def test_a_self_subscriber_takes_no_other_subscriber_details(front_desk, patient, aetna):
    with pytest.raises(ValidationError) as caught:
        coverage_add(actor=front_desk, patient=patient, data=policy(aetna, subscriber_first_name="John"))
    assert "subscriber_first_name" in caught.value.message_dict


def test_bad_input_names_each_field_and_saves_nothing(front_desk, patient, aetna):
    with pytest.raises(ValidationError) as caught:
        coverage_add(
            actor=front_desk,
            patient=patient,
            data=policy(aetna, member_id="  ", priority="quaternary", end_date=date(2025, 1, 1)),
        )
    assert {"member_id", "priority", "end_date"} <= set(caught.value.message_dict)
    assert not Coverage.objects.exists() and not _events().exists()


def test_an_inactive_payer_is_not_offered_for_new_coverages(biller, front_desk, patient, aetna):
    payer_update(
        actor=biller,
        payer=aetna,
        data=PayerInput(name="Aetna", payer_type="commercial", payer_id="60054", active=False),
    )
    with pytest.raises(ValidationError, match="no longer in use"):
        coverage_add(actor=front_desk, patient=patient, data=policy(aetna))


def test_self_pay_needs_no_member_id(front_desk, biller, patient):
    self_pay = payer_create(actor=biller, data=PayerInput(name="Self-pay", payer_type=PayerType.SELF_PAY))
    coverage = coverage_add(actor=front_desk, patient=patient, data=policy(self_pay, member_id=""))
    assert coverage.member_id == ""


def test_payer_writes_are_validated_and_audited(biller):
    with pytest.raises(ValidationError) as caught:
        payer_create(actor=biller, data=PayerInput(name=" ", payer_type="commercial", zip_code="1", phone="555"))
    assert {"name", "payer_id", "zip_code", "phone"} <= set(caught.value.message_dict)
    payer = payer_create(
        actor=biller,
        data=PayerInput(name=" Cigna ", payer_type="commercial", payer_id="62308", phone="(800) 555-0199", state="tn"),
    )
    assert (payer.name, payer.phone, payer.state) == ("Cigna", "+18005550199", "TN")
    changed = payer_update(
        actor=biller, payer=payer, data=PayerInput(name="Cigna", payer_type="commercial", payer_id="62308", state="TN")
    )
    assert changed == ["phone"]
    events = AuditEvent.objects.filter(object_type="payer", object_id=str(payer.public_id)).order_by("seq")
    assert [e.action for e in events] == [Action.CREATE, Action.UPDATE] and events[1].changed_fields == "phone"


def test_two_clerks_adding_a_primary_at_once_get_one_coverage_and_one_conflict(committed_db):
    """Separate connections: the later insert meets the unique index and becomes the same sentence."""
    import threading

    from django.db import connection

    from conftest import make_staff

    clerk = make_staff("luis2", "front_desk")
    payer = payer_create(actor=clerk, data=PayerInput(name="Aetna", payer_type="commercial", payer_id="60054"))
    person = patient_register(
        actor=clerk,
        data=PatientInput(
            values={"first_name": "Ann", "last_name": "Roe", "date_of_birth": date(1970, 1, 1), "sex_at_birth": "F"}
        ),
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def add(member: str) -> None:
        try:
            barrier.wait()
            coverage_add(actor=clerk, patient=person, data=policy(payer, member_id=member))
            outcomes.append("added")
        except Conflict as exc:
            outcomes.append(exc.message_dict["priority"][0])
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(m,)) for m in ("A1", "B2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("added") == 1 and len(outcomes) == 2
    assert "active primary coverage: Aetna" in next(o for o in outcomes if o != "added")
    assert Coverage.objects.filter(patient=person, ended_at__isnull=True).count() == 1
    assert _events(action=Action.CREATE).count() == 1
