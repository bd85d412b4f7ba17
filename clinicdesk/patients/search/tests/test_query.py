from __future__ import annotations

from datetime import date

import pytest

from clinicdesk.patients.search.names import name_tokens, nickname_forms, one_edit_away, within_one_edit
from clinicdesk.patients.search.query import Kind, parse_query

TODAY = date(2026, 11, 27)


def parse(text: str):
    return parse_query(text, today=TODAY)


@pytest.mark.parametrize(
    "text",
    ["03/14/1962", "3/14/62", "1962-03-14", "14 Mar 1962", "March 14, 1962", "Mar 14 1962", "03141962", "3-14-1962"],
)
def test_common_date_of_birth_forms_are_read_as_one_date(text):
    query = parse(text)
    assert (query.kind, query.dob) == (Kind.DOB, date(1962, 3, 14))


def test_a_two_digit_year_is_the_most_recent_past_one():
    assert parse("1/2/19").dob == date(2019, 1, 2)
    assert parse("1/2/27").dob == date(1927, 1, 2)  # 2027 has not happened yet


def test_an_impossible_date_says_so_instead_of_searching_names():
    query = parse("02/30/1985")
    assert query.kind == Kind.DOB and query.dob is None and "does not exist" in query.problem


@pytest.mark.parametrize("text", ["(518) 555-0142", "518.555.0142", "518-555-0142", "5185550142", "+1 518 555 0142"])
def test_phone_numbers_in_any_punctuation_become_e164(text):
    query = parse(text)
    assert (query.kind, query.phone) == (Kind.PHONE, "+15185550142")


def test_a_phone_without_area_code_asks_for_it():
    query = parse("555-0142")
    assert query.kind == Kind.PHONE and not query.phone and "area code" in query.problem


def test_an_mrn_with_a_good_check_digit_is_an_mrn():
    assert parse(" 12345674 ").mrn == "12345674"


def test_an_mrn_with_a_bad_check_digit_is_flagged_and_not_looked_up_as_an_mrn():
    query = parse("12345678")
    assert query.kind == Kind.MRN and query.mrn == "" and "last digit does not match" in query.problem
    assert query.member_id == "12345678"  # it may still be somebody's member id


def test_a_full_ssn_is_an_ssn_query():
    assert parse("123-45-6789").kind == Kind.SSN


def test_letters_mixed_with_digits_are_a_member_id():
    query = parse("1eg4-te5-mk73")
    assert (query.kind, query.member_id) == (Kind.MEMBER_ID, "1EG4TE5MK73")


@pytest.mark.parametrize(
    ("text", "names", "comma_last"),
    [
        ("jane doe", ["jane", "doe"], ""),
        ("Doe, Jane", ["doe", "jane"], "doe"),
        ("DOE,JANE", ["doe", "jane"], "doe"),
        ("Núñez-García", ["nunezgarcia"], ""),
        ("o'brien", ["obrien"], ""),
    ],
)
def test_names_are_folded_and_split(text, names, comma_last):
    query = parse(text)
    assert (query.kind, query.names, query.comma_last) == (Kind.NAME, names, comma_last)


def test_a_name_with_a_date_of_birth_is_both():
    query = parse("doe 3/14/62")
    assert (query.kind, query.names, query.dob) == (Kind.NAME_DOB, ["doe"], date(1962, 3, 14))


@pytest.mark.parametrize("text", ["", "   ", "\x00"])
def test_an_empty_box_is_empty(text):
    assert parse(text).kind == Kind.EMPTY


def test_punctuation_alone_finds_nothing_and_says_what_to_type():
    query = parse("!!!")
    assert query.names == [] and "Type a name" in query.problem


def test_name_tokens_fold_accents_and_split_hyphens_and_apostrophes():
    assert name_tokens("Núñez-García") == ["nunez", "garcia", "nunezgarcia"]
    assert name_tokens("O'Brien") == ["o", "brien", "obrien"]
    assert name_tokens("Zoë Łukasz") == ["zoe", "lukasz"]
    assert name_tokens("STRAUß") == ["strauss"]


def test_nicknames_point_to_their_canonical_names():
    assert nickname_forms("bill") == {"william"}
    assert nickname_forms("peggy") == {"margaret"}
    assert nickname_forms("chris") == {"christina", "christopher"}
    assert nickname_forms("zed") == set()


def test_one_edit_covers_each_kind_of_typo():
    variants = one_edit_away("jane")
    assert {"jne", "jnae", "jone", "janie"} <= variants and "jane" not in variants
    assert within_one_edit("jnae", "jane") and within_one_edit("smyth", "smith") and within_one_edit("dooe", "doe")
    assert not within_one_edit("jane", "joan") and not within_one_edit("ab", "abcd")
