from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command

from clinicdesk.core import clock as app_clock
from clinicdesk.patients.models import Patient
from clinicdesk.patients.search import selectors
from clinicdesk.patients.search.models import PatientSearchTerm, SearchWord, TermSource
from clinicdesk.patients.search.query import Kind, parse_query
from clinicdesk.patients.search.selectors import member_id_finder_register, patient_search
from clinicdesk.patients.services import PatientInput, patient_update


def find(text: str):
    today = app_clock.today()
    return patient_search(query=parse_query(text, today=today), today=today)


def names(text: str) -> list[str]:
    return [hit.display_name for hit in find(text).hits]


def test_it_finds_a_patient_by_mrn(register):
    jane = register("Jane", "Doe")
    register("John", "Doe")
    result = find(jane.mrn)
    assert result.kind == Kind.MRN and [h.mrn for h in result.hits] == [jane.mrn]
    assert result.hits[0].match == "MRN"


def test_an_mrn_with_a_bad_check_digit_finds_no_one(register):
    from clinicdesk.core.luhn import luhn_check_digit
    from clinicdesk.patients.models import Patient

    jane = register("Jane", "Doe")
    # A fixed MRN that cannot read as a date (no month 98), so the bad copy is always taken as an MRN;
    # a random one like 12151985 reads as MMDDYYYY whatever its last digit.
    body = "9876543"
    Patient.objects.filter(pk=jane.pk).update(mrn=body + str(luhn_check_digit(body)))
    wrong = body + str((int(str(luhn_check_digit(body))) + 1) % 10)
    assert parse_query(wrong, today=app_clock.today()).kind == Kind.MRN
    result = find(wrong)
    assert result.hits == [] and "last digit" in result.problem


@pytest.mark.parametrize("typed", ["(518) 555-0142", "518.555.0142", "5185550142", "+1 518-555-0142"])
def test_it_finds_a_patient_by_a_phone_typed_any_way(register, typed):
    register("Jane", "Doe", phone="518-555-0142")
    register("John", "Doe", phone="518-555-0199")
    result = find(typed)
    assert result.kind == Kind.PHONE and names(typed) == ["Doe, Jane"]
    assert result.hits[0].phone_last4 == "0142"


@pytest.mark.parametrize("typed", ["03/14/1962", "3/14/62", "1962-03-14", "14 Mar 1962"])
def test_it_finds_patients_by_date_of_birth_in_name_order(register, typed):
    register("Zed", "Young", date(1962, 3, 14))
    register("Amy", "Adams", date(1962, 3, 14))
    register("Jane", "Doe", date(1962, 3, 15))
    assert names(typed) == ["Adams, Amy", "Young, Zed"]


def test_it_finds_a_patient_by_ssn(front_desk, register):
    jane = register("Jane", "Doe")
    patient_update(actor=front_desk, patient=jane, data=PatientInput(values={}, ssn="123-45-6789"))
    result = find("123-45-6789")
    assert result.kind == Kind.SSN and [h.mrn for h in result.hits] == [jane.mrn]


def test_name_words_match_in_any_order_and_with_a_comma(register):
    register("Jane", "Doe")
    register("Jane", "Smith")
    for typed in ("jane doe", "doe jane", "Doe, Jane", "DOE"):
        assert names(typed) == ["Doe, Jane"], typed


def test_a_partial_name_matches_as_a_prefix(register):
    register("Jane", "Doe")
    register("Janet", "Dobbs")
    register("Mary", "Major")
    assert names("ja do") == ["Dobbs, Janet", "Doe, Jane"]


def test_whole_names_rank_above_prefixes_above_nicknames_above_typos(register):
    register("Williamina", "Smith")  # "william" is a prefix of her name
    register("Bill", "Smith")  # nickname of William
    register("William", "Smith")  # exact
    register("Willian", "Smith")  # one letter off
    register("William", "Jones")  # different last name: not a match at all
    result = find("william smith")
    assert [(h.display_name, h.match) for h in result.hits] == [
        ("Smith, William", "name"),
        ("Smith, Williamina", "name begins"),
        ("Smith, Bill", "nickname"),
        ("Smith, Willian", "similar spelling"),
    ]


def test_exact_identifiers_are_their_own_kind_and_never_mixed_with_names(register):
    jane = register("Jane", "Doe", phone="518-555-0142")
    assert find("518 555 0142").hits[0].mrn == jane.mrn
    assert find("518 555 0142").hits[0].match == "phone"


@pytest.mark.parametrize(
    ("nickname", "legal"), [("bill", "William"), ("bob", "Robert"), ("liz", "Elizabeth"), ("peggy", "Margaret")]
)
def test_a_nickname_finds_the_legal_name(register, nickname, legal):
    register(legal, "Carter")
    register("Anne", "Carter")
    assert names(f"{nickname} carter") == [f"Carter, {legal}"]


def test_a_legal_name_finds_a_patient_registered_under_a_nickname(register):
    register("Bill", "Carter")
    assert names("william carter") == ["Carter, Bill"]


def test_a_preferred_name_is_searchable(register):
    register("Margaret", "Carter", preferred_name="Daisy")
    assert names("daisy carter") == ['Carter, Margaret "Daisy"']


@pytest.mark.parametrize("typed", ["jnae doe", "jane dooe", "jane d0e", "jaen doe", "jane do"])
def test_one_letter_off_still_finds_the_patient(register, typed):
    register("Jane", "Doe")
    register("Mark", "Taylor")
    assert names(typed) == ["Doe, Jane"]


def test_two_letters_off_is_not_a_match(register):
    register("Jane", "Doe")
    assert names("jxxe doe") == []


@pytest.mark.parametrize("typed", ["nunez garcia", "Núñez-García", "NUNEZ-GARCIA", "garcia", "núñez", "nunezgar"])
def test_accented_and_hyphenated_names_are_found_however_typed(register, typed):
    register("José", "Núñez-García")
    register("Jose", "Perez")
    assert names(typed) == ["Núñez-García, José"]


def test_apostrophes_are_optional(register):
    register("Sean", "O'Brien")
    for typed in ("obrien", "o'brien", "O Brien", "sean o'b"):
        assert names(typed) == ["O'Brien, Sean"], typed


def test_name_and_date_of_birth_together_narrow_the_list(register):
    register("Jane", "Doe", date(1962, 3, 14))
    register("Jane", "Doe", date(1970, 1, 1))
    result = find("doe 3/14/62")
    assert result.kind == Kind.NAME_DOB
    assert [(h.display_name, h.date_of_birth) for h in result.hits] == [("Doe, Jane", date(1962, 3, 14))]
    assert result.hits[0].match == "name and date of birth"


def test_the_comma_form_prefers_the_last_name(register):
    register("Jordan", "Taylor")
    register("Taylor", "Jordan")
    assert names("Taylor, Jordan") == ["Taylor, Jordan", "Jordan, Taylor"]
    assert names("Jordan, Taylor") == ["Jordan, Taylor", "Taylor, Jordan"]


def test_results_stop_at_twenty(register):
    for i in range(25):
        register("Jane", f"Doe{chr(ord('a') + i)}")
    assert len(find("jane").hits) == 20


def test_a_hit_holds_no_ssn_or_address(register):
    register("Jane", "Doe", address_line1="3 Elm St")
    hit = find("jane doe").hits[0]
    assert set(vars(hit)) == {
        "mrn", "display_name", "date_of_birth", "age", "phone_last4", "status", "restricted", "match",
    }  # fmt: skip


def test_member_ids_are_found_through_a_registered_finder(register, monkeypatch):
    jane = register("Jane", "Doe")
    monkeypatch.setattr(selectors, "_member_id_finders", [])
    assert find("XYZ123456789").hits == []
    member_id_finder_register(lambda member_id: [jane.pk] if member_id == "XYZ123456789" else [])
    result = find("xyz-123456789")
    assert result.kind == Kind.MEMBER_ID and [h.mrn for h in result.hits] == [jane.mrn]


def test_registration_indexes_the_names(register):
    bill = register("Bill", "Núñez-García", middle_name="Ray")
    terms = dict(PatientSearchTerm.objects.filter(patient=bill).values_list("term", "source"))
    assert terms == {
        "bill": TermSource.FIRST,
        "nunez": TermSource.LAST,
        "garcia": TermSource.LAST,
        "nunezgarcia": TermSource.LAST,
        "ray": TermSource.MIDDLE,
        "william": TermSource.NICKNAME,
    }
    assert set(terms) <= set(SearchWord.objects.values_list("term", flat=True))


def test_an_update_keeps_the_index_in_step(front_desk, register):
    jane = register("Jane", "Doe")
    patient_update(actor=front_desk, patient=jane, data=PatientInput(values={"last_name": "Walsh"}))
    assert names("jane doe") == []
    assert names("jane walsh") == ["Walsh, Jane"]
    assert set(PatientSearchTerm.objects.filter(patient=jane).values_list("term", flat=True)) == {"jane", "walsh"}


def test_reindex_rebuilds_a_missing_or_stale_index(register, capsys):
    register("Jane", "Doe")
    register("Bill", "Smith")
    PatientSearchTerm.objects.all().delete()
    Patient.objects.filter(first_name="Jane").update(last_name="Roe")  # a bulk write that skipped the service
    assert names("jane") == []
    call_command("reindex-patients", batch_size=1)
    assert names("jane roe") == ["Roe, Jane"] and names("william smith") == ["Smith, Bill"]
    assert "Indexed 2 patients" in capsys.readouterr().out


@pytest.mark.parametrize("cap", [selectors._DRIVER_COUNT_CAP, 3])
def test_a_typo_finds_the_one_patient_among_many_sharing_a_common_word(register, monkeypatch, cap):
    # With cap 3 every word is "common" (more rows than the cap), so the candidates come from
    # the set intersection rather than from walking the rarest word's rows.
    monkeypatch.setattr(selectors, "_DRIVER_COUNT_CAP", cap)
    for first in ("Jane", "Mary", "Anna", "Ruth", "Emma", "Lisa", "Rose", "Nora"):
        register(first, "Smith")
    for last in ("Jones", "Brown", "Baker", "Adams", "Clark", "Young"):
        register("Zelda", last)
    register("Zelda", "Smith")
    for typed in ("zelda smoth", "zelda smiht", "zelda smit", "zlda smith", "smith zeldaa", "zelda sm"):
        assert names(typed) == ["Smith, Zelda"], typed
    assert names("zelda s") == ["Smith, Zelda"]
    assert len(names("smith")) == 9 and len(names("zelda")) == 7


def test_two_words_go_through_the_name_pairs_in_either_order_with_nicknames_and_typos(register):
    from clinicdesk.patients.search.models import PatientNamePair

    william = register("William", "Smith", preferred_name="Bill")
    register("William", "Jones")
    register("Anna", "Smith")
    assert set(PatientNamePair.objects.filter(patient=william).values_list("family", "given")) == {
        ("smith", "william"),
        ("smith", "bill"),
    }
    for typed in ("william smith", "smith william", "bill smith", "will smith", "wiliam smith", "smith wiliam"):
        assert names(typed) == ['Smith, William "Bill"'], typed


def test_two_given_names_without_a_family_name_still_find_the_patient(register):
    register("Mary", "Jones", middle_name="Ann")
    register("Mary", "Smith")
    assert names("mary ann") == ["Jones, Mary A."]


def test_a_new_family_name_replaces_the_pairs(register, front_desk):
    jane = register("Jane", "Doe")
    from clinicdesk.patients.search.models import PatientNamePair

    patient_update(actor=front_desk, patient=jane, data=PatientInput(values={"last_name": "Boyle"}))
    assert list(PatientNamePair.objects.filter(patient=jane).values_list("family", "given")) == [("boyle", "jane")]
    assert names("jane boyle") == ["Boyle, Jane"] and names("jane doe") == []


def test_eight_digits_that_are_both_an_mrn_and_a_birthday_find_the_birthday_when_no_record_has_the_mrn(register):
    from clinicdesk.patients.mrn import mrn_is_valid

    jane = register("Jane", "Doe", date(1962, 3, 14))
    typed = next(f"1114{year}" for year in range(1900, 2000) if mrn_is_valid(f"1114{year}"))  # MRNs never start 0
    born_then = date(int(typed[4:]), 11, 14)
    register("Ann", "Lee", born_then)
    query = parse_query(typed, today=app_clock.today())
    assert query.kind == Kind.MRN and query.dob == born_then
    assert find(typed).kind == Kind.DOB and names(typed) == ["Lee, Ann"]
    Patient.objects.filter(pk=jane.pk).update(mrn=typed)  # now a record has that MRN: it wins
    assert find(typed).kind == Kind.MRN and names(typed) == ["Doe, Jane"]
