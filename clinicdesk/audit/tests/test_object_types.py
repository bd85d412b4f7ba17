"""Audit object types are one enumeration: every write names an ObjectType member, never a string."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.db import connection

from clinicdesk.audit.models import Action, AuditEvent, ObjectType
from clinicdesk.audit.services import audit_record

PACKAGE = Path(__file__).resolve().parents[2]  # clinicdesk/


def _product_modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).parts
        if "tests" in parts or "migrations" in parts:
            continue
        yield path.relative_to(PACKAGE.parent).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def _callee(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def test_no_audit_write_passes_a_bare_string_as_its_object_type():
    strays, writes = [], 0
    for relative, tree in _product_modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                if keyword.arg in ("object_type", "audit_as"):
                    writes += 1
                    texts = [n for n in ast.walk(keyword.value) if isinstance(n, ast.Constant | ast.JoinedStr)]
                    if any(isinstance(n, ast.JoinedStr) or isinstance(n.value, str) for n in texts):
                        strays.append(f"{relative}:{node.lineno}")
            if _callee(node) == "audit_record" and not any(k.arg in ("object_type", None) for k in node.keywords):
                strays.append(f"{relative}:{node.lineno} (no object_type)")
    assert writes > 50, "the walk found no audit writes: it is looking in the wrong place"
    assert strays == [], "name the object type with clinicdesk.audit.models.ObjectType"


def test_no_module_keeps_a_private_audit_wrapper():
    wrappers = [
        f"{relative}:{node.lineno} {node.name}"
        for relative, tree in _product_modules()
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name == "_audit"
    ]
    assert wrappers == [], "write the event with audit_record(...) itself"


@pytest.mark.parametrize("given", ["patient", "", "ObjectType.PATIENT", None, Action.READ])
def test_the_helper_refuses_anything_but_a_member_and_writes_nothing(office_manager, given):
    with pytest.raises(TypeError, match="ObjectType"):
        audit_record(actor=office_manager, action=Action.READ, object_type=given, object_id="P1")
    assert not AuditEvent.objects.exists()


def test_a_member_is_stored_as_the_same_string_as_before(office_manager):
    event = audit_record(actor=office_manager, action=Action.READ, object_type=ObjectType.VISIT_NOTE, object_id="N1")
    with connection.cursor() as cursor:
        cursor.execute("SELECT object_type FROM audit_auditevent WHERE id = %s", [event.pk])
        assert cursor.fetchone()[0] == "visit_note"
    assert AuditEvent.objects.filter(object_type="visit_note").count() == 1


def test_every_value_fits_the_column_and_is_a_plain_name():
    width = AuditEvent._meta.get_field("object_type").max_length
    for member in ObjectType:
        assert member.value == member.name.lower() and member.value.isidentifier() and len(member.value) <= width
