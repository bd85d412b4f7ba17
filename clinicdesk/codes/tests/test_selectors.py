from __future__ import annotations

import pytest

from clinicdesk.codes.selectors import icd10_code, icd10_search
from clinicdesk.codes.services import icd10_load


def codes(query: str, **options) -> list[str]:
    return [c.code for c in icd10_search(query, **options)]


@pytest.mark.parametrize("query", ["E11", "e11", " E11 "])
def test_a_code_finds_itself_first_then_the_codes_below_it_in_code_order(icd10_sample, query):
    found = codes(query)
    assert found[:4] == ["E11", "E11.0", "E11.00", "E11.01"] and len(found) == 20
    assert all(code.startswith("E11") for code in found)


@pytest.mark.parametrize("query", ["E11.9", "e11.9", "E119", "e119"])
def test_a_full_code_is_found_dotted_or_not(icd10_sample, query):
    assert codes(query) == ["E11.9"]


def test_a_code_prefix_can_ask_for_billable_codes_only(icd10_sample):
    found = icd10_search("E11", billable_only=True)
    assert found[0].code == "E11.00" and all(c.billable for c in found)
    assert codes("S72.00")[0] == "S72.00" and codes("S72.00", billable_only=True)[0] == "S72.001A"


@pytest.mark.parametrize("query", ["diab mell typ 2", "type 2 diabetes", "Diabetes TYPE 2", "mellitus, type 2 (diab)"])
def test_words_match_in_any_order_as_prefixes(icd10_sample, query):
    found = icd10_search(query)
    assert found[0].code == "E11"  # the shortest, most general description first
    for code in found:  # every typed word starts some word of the description ("E10.A2 ... Stage 2" too)
        words = code.description.lower().replace(",", " ").split()
        assert all(any(w.startswith(t) for w in words) for t in ("diab", "mell", "typ", "2")), code
    assert {"E11.9", "E11.65"} <= {c.code for c in icd10_search(query, limit=100)}


def test_shorter_descriptions_come_first_among_word_matches(icd10_sample):
    found = icd10_search("fracture femur", limit=100)
    assert found[0].code == "S72" and found[0].description == "Fracture of femur"
    lengths = [len(c.description) for c in found]
    assert lengths == sorted(lengths)
    assert all("fracture" in c.description.lower() and "femur" in c.description.lower() for c in found)


def test_billable_only_leaves_out_categories_and_headers(icd10_sample):
    found = icd10_search("fracture femur", billable_only=True, limit=50)
    assert found and all(c.billable for c in found) and "S72" not in {c.code for c in found}
    assert codes("essential hypertension", billable_only=True) == ["I10"]


def test_common_and_rare_words_and_short_prefixes_all_answer(icd10_sample):
    # One common short prefix (walks codes in order), a rare word (reads its few codes),
    # a common whole word with a short one (walks that word's codes), and no match at all.
    assert len(codes("di")) == 20
    assert codes("alzh") == ["G30", "G30.8", "G30.9", "G30.0", "G30.1"] or codes("alzh")[0] == "G30"
    assert codes("hepatitis a")[0] == "B15"
    found = icd10_search("fracture fe", limit=100)
    assert found and all("fe" in c.description.lower() for c in found)
    assert codes("fracture hepatitis") == [] and codes("zzzz") == []


def test_nothing_is_found_for_nothing_or_stop_words_alone(icd10_sample):
    assert codes("") == [] and codes("   ") == [] and codes("of the") == []


def test_inactive_codes_are_never_found_but_can_still_be_read(icd10_sample):
    kept = [e for e in icd10_sample if e.code != "I10"]
    icd10_load(entries=kept, release="2027")  # as a release that dropped I10 would
    assert "I10" not in codes("I10") and "I10" not in codes("essential hypertension")
    assert codes("I10", billable_only=True) == []
    assert icd10_code("I10").active is False


def test_a_limit_caps_the_results(icd10_sample):
    assert len(icd10_search("S72", limit=5)) == 5 and len(icd10_search("fracture", limit=100)) == 100


def test_one_code_is_read_dotted_or_not(icd10_sample):
    assert icd10_code("e11.9").code == "E11.9" and icd10_code("E119").code == "E11.9"
    assert icd10_code("E11.99") is None and icd10_code("") is None and icd10_code("E11.99999999") is None


@pytest.mark.parametrize("query", ["fracture femur", "fr fe", "type 2 diab", "hepatitis a", "right displaced", "di"])
@pytest.mark.parametrize("billable_only", [False, True])
def test_every_search_plan_gives_the_same_answer(icd10_sample, monkeypatch, query, billable_only):
    # The sample is small, so every word is rare and the `few` plan answers; lowering the
    # thresholds makes the `ordered` walk and then the `scan` of all codes answer instead.
    from clinicdesk.codes import selectors

    reference = codes(query, billable_only=billable_only, limit=30)
    assert reference
    monkeypatch.setattr(selectors, "FEW_CODES", 0)
    assert codes(query, billable_only=billable_only, limit=30) == reference
    monkeypatch.setattr(selectors, "ORDERED_WORDS", 0)
    assert codes(query, billable_only=billable_only, limit=30) == reference
