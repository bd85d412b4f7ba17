"""Property tests of the hash chain, on rows built in memory (no database needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from clinicdesk.audit.chain import CHAINED_FIELDS, GENESIS, event_hash, verify_rows

text = st.text(alphabet=st.characters(codec="utf-8"), max_size=20)
event_values = st.fixed_dictionaries(
    {name: text for name in CHAINED_FIELDS if name not in ("seq", "at", "actor_id")}
    | {"actor_id": st.one_of(st.none(), st.integers(1, 10**6))}
)


def build_chain(values_list: list[dict]) -> list[list[object]]:
    rows, prev = [], GENESIS
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i, values in enumerate(values_list, start=1):
        ordered = [values.get(name) for name in CHAINED_FIELDS]
        ordered[0] = i
        ordered[1] = start + timedelta(seconds=i, microseconds=i)
        digest = event_hash(prev, ordered)
        rows.append([prev, digest, *ordered])
        prev = digest
    return rows


@given(st.lists(event_values, max_size=15))
def test_any_honest_chain_verifies(values_list):
    result = verify_rows(build_chain(values_list))
    assert result.ok and result.count == len(values_list)


@settings(max_examples=200)
@given(st.lists(event_values, min_size=1, max_size=12), st.data())
def test_changing_any_field_of_any_event_is_caught_at_that_event(values_list, data):
    rows = build_chain(values_list)
    index = data.draw(st.integers(0, len(rows) - 1), label="row")
    column = data.draw(st.sampled_from([n for n in CHAINED_FIELDS if n not in ("seq",)]), label="field")
    position = 2 + CHAINED_FIELDS.index(column)
    old = rows[index][position]
    if column == "at":
        new = old + timedelta(microseconds=1)
    elif column == "actor_id":
        new = (old or 0) + 1
    else:
        new = (old or "") + "x"
    rows[index][position] = new
    result = verify_rows(rows)
    assert not result.ok
    assert result.broken.seq == index + 1 and result.broken.kind == "edited"


@given(st.lists(event_values, min_size=2, max_size=12), st.data())
def test_removing_any_event_is_caught_where_the_gap_is(values_list, data):
    rows = build_chain(values_list)
    index = data.draw(st.integers(0, len(rows) - 2), label="row")  # removing the last is not detectable
    del rows[index]
    result = verify_rows(rows)
    assert not result.ok and result.broken.seq == index + 1 and result.broken.kind == "deleted"
