from __future__ import annotations

import re


def test_the_fragment_is_an_accessible_listbox_of_codes(as_user, nurse, icd10_sample):
    response = as_user(nurse).get("/codes/icd10/search/", {"q": "type 2 diab", "billable": "1", "id": "dx-options"})
    body = response.content.decode()
    assert response.status_code == 200 and "<!DOCTYPE" not in body
    assert '<ul id="dx-options" role="listbox" aria-label="ICD-10-CM codes">' in body
    options = re.findall(r'<li role="option" id="dx-options-\d+" data-code="([^"]+)"', body)
    assert len(options) == 20 and "E11" not in options  # billable only
    assert 'role="status"' in body and "the best 20" in body


def test_the_fragment_marks_categories_and_says_when_nothing_matches(as_user, clinician, icd10_sample):
    body = as_user(clinician).get("/codes/icd10/search/", {"q": "E11"}).content.decode()
    assert 'data-code="E11"' in body and "(category — not billable)" in body
    empty = as_user(clinician).get("/codes/icd10/search/", {"q": "zzzz"}).content.decode()
    assert "No ICD-10-CM code matches “zzzz”." in empty and "listbox" not in empty
    assert "Type a code or words" in as_user(clinician).get("/codes/icd10/search/").content.decode()


def test_the_listbox_id_cannot_inject_markup(as_user, clinician, icd10_sample):
    body = as_user(clinician).get("/codes/icd10/search/", {"q": "I10", "id": '"><script>x</script>'}).content.decode()
    assert "<script>" not in body and 'id="scriptxscript"' in body


def test_front_desk_is_refused_the_fragment(as_user, front_desk, icd10_sample):
    assert as_user(front_desk).get("/codes/icd10/search/", {"q": "E11"}).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get("/codes/icd10/search/", {"q": "E11"})
    assert response.status_code == 302 and "/account/login/" in response["Location"]
