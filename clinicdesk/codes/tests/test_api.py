from __future__ import annotations

from clinicdesk.audit.models import AuditEvent


def test_a_clinician_searches_codes_by_words(as_user, clinician, icd10_sample):
    response = as_user(clinician).get("/api/v1/codes/icd10", {"q": "type 2 diab", "billable": "true"})
    assert response.status_code == 200
    body = response.json()
    assert body and all(item["billable"] for item in body)
    assert {"code", "description", "billable", "parent", "category", "chapter", "release", "active"} == set(body[0])
    assert "E11.9" in {
        item["code"]
        for item in as_user(clinician).get("/api/v1/codes/icd10", {"q": "type 2 diab", "limit": 100}).json()
    }


def test_a_biller_reads_one_code(as_user, biller, icd10_sample):
    response = as_user(biller).get("/api/v1/codes/icd10/e11.9")
    assert response.status_code == 200
    assert response.json() == {
        "code": "E11.9", "description": "Type 2 diabetes mellitus without complications", "billable": True,
        "parent": "E11", "category": "E11", "chapter": 4, "release": "2026", "active": True,
    }  # fmt: skip


def test_an_unknown_code_is_a_404_problem(as_user, clinician, icd10_sample):
    response = as_user(clinician).get("/api/v1/codes/icd10/E11.99")
    assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"


def test_a_limit_over_100_is_refused(as_user, clinician, icd10_sample):
    assert as_user(clinician).get("/api/v1/codes/icd10", {"q": "e", "limit": 500}).status_code == 422


def test_front_desk_and_the_auditor_are_refused_code_search(as_user, front_desk, auditor, icd10_sample):
    for person in (front_desk, auditor):
        assert as_user(person).get("/api/v1/codes/icd10", {"q": "E11"}).status_code == 403
        assert as_user(person).get("/api/v1/codes/icd10/E11.9").status_code == 403


def test_code_search_is_not_phi_and_writes_no_audit_event(as_user, clinician, icd10_sample):
    client = as_user(clinician)  # signing in is audited; searching is not
    before = AuditEvent.objects.count()
    assert client.get("/api/v1/codes/icd10", {"q": "E11"}).status_code == 200
    assert client.get("/codes/icd10/search/", {"q": "E11"}).status_code == 200
    assert AuditEvent.objects.count() == before
