"""The API's operation ids and tags are pinned: a client generated from the OpenAPI document calls
`appointment_create` in the module `appointments`, and renaming either breaks that client.

The list lives in clinicdesk/tests/data/openapi_operations.txt, one operation a line:
METHOD, path, operation id and tag. When an id or tag changes on purpose (or an endpoint is
added), rewrite it with

    CLINICDESK_PIN_OPERATIONS=1 .venv/bin/python -m pytest clinicdesk/tests/test_openapi_operations.py

and commit it with the change, saying in the message which clients it affects.
"""

from __future__ import annotations

import difflib
import os
from collections import Counter
from pathlib import Path

from clinicdesk.api import api
from clinicdesk.api_operations import operation_name

PINNED = Path(__file__).parent / "data" / "openapi_operations.txt"
HOW_TO_UPDATE = (
    "If the change is deliberate, rewrite the pinned list with\n"
    "    CLINICDESK_PIN_OPERATIONS=1 .venv/bin/python -m pytest clinicdesk/tests/test_openapi_operations.py\n"
    "and commit it with the change: clients generated from the API use these names. Otherwise give the "
    "route a name of its own in clinicdesk/api_operations.py (RESOURCES or OVERRIDES)."
)


def operations() -> list[tuple[str, str, str, str]]:
    """(METHOD, path, operation id, tags) of every operation in the OpenAPI document, sorted."""
    paths = api.get_openapi_schema()["paths"]
    return sorted(
        (method.upper(), path, details["operationId"], ",".join(details.get("tags", [])))
        for path, item in paths.items()
        for method, details in item.items()
    )


def as_lines(rows: list[tuple[str, str, str, str]]) -> list[str]:
    return [" ".join(row) for row in rows]


def test_the_operation_ids_and_tags_are_the_pinned_ones():
    current = as_lines(operations())
    if os.environ.get("CLINICDESK_PIN_OPERATIONS"):
        PINNED.write_text("\n".join(current) + "\n", encoding="utf-8")
    pinned = PINNED.read_text(encoding="utf-8").splitlines()
    if current != pinned:
        diff = "\n".join(difflib.unified_diff(pinned, current, "pinned", "served now", lineterm="", n=0))
        raise AssertionError(f"The API's operation ids or tags changed:\n{diff}\n\n{HOW_TO_UPDATE}")


def test_every_operation_id_is_unique_and_short():
    ids = Counter(operation_id for _method, _path, operation_id, _tags in operations())
    assert [name for name, count in ids.items() if count > 1] == []
    long_or_odd = [
        name for name in ids if len(name) > 40 or not name.replace("_", "").isalnum() or name.startswith("clinicdesk")
    ]
    assert long_or_odd == []


def test_every_operation_has_one_tag():
    assert [(method, path) for method, path, _id, tags in operations() if not tags or "," in tags] == []


def test_the_rule_names_an_action_a_collection_an_item_and_a_single_resource():
    assert operation_name("post", "/scheduling/appointments") == ("appointment_create", "appointments")
    assert operation_name("GET", "/scheduling/appointments") == ("appointment_list", "appointments")
    assert operation_name("GET", "/scheduling/appointments/{uuid:public_id}") == ("appointment_read", "appointments")
    assert operation_name("PUT", "/scheduling/rooms/{public_id}") == ("room_update", "practice setup")
    assert operation_name("POST", "/scheduling/appointments/{public_id}/cancel") == (
        "appointment_cancel",
        "appointments",
    )
    assert operation_name("PUT", "/clinical/encounters/{encounter_id}/note") == ("note_update", "notes")
    assert operation_name("GET", "/patients") == ("patient_search", "patients")
    assert operation_name("GET", "/reports/{day}/totals") == ("reports_totals_get", "other")
