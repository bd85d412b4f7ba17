from __future__ import annotations

from clinicdesk.core.text import sentence


def test_a_sentence_ending_in_an_initial_gets_no_second_period():
    assert sentence("Booked Follow-up for Bowen, Fatima B.") == "Booked Follow-up for Bowen, Fatima B."
    assert sentence("Booked Follow-up for Bowen, Fatima") == "Booked Follow-up for Bowen, Fatima."
    assert sentence("Recall closed for Doe, Jane ") == "Recall closed for Doe, Jane."
