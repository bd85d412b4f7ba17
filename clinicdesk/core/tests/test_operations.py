"""The operator's side: health, deploy checks, the `clinicdesk` command, the demo practice."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from django.core.management import call_command
from django.db.migrations.recorder import MigrationRecorder

from clinicdesk.accounts.models import User

ROOT = Path(__file__).resolve().parents[3]


def _run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CLINICDESK_")}
    full_env.update({"DJANGO_SETTINGS_MODULE": "clinicdesk.settings"}, **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "clinicdesk", *args], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=120
    )


def test_health_says_ok_without_any_patient_data(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}


def test_health_fails_when_a_migration_is_missing(client, db):
    latest = MigrationRecorder.Migration.objects.filter(app="audit").order_by("-name").first()
    latest.delete()  # as if the newest audit migration had not been applied
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["checks"]["migrations"] == "pending"


def test_pages_carry_a_strict_content_security_policy(client, db):
    policy = client.get("/account/login/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy


def test_the_clinicdesk_command_lists_the_operator_commands():
    result = _run(["help"])
    assert result.returncode == 0
    for name in ("serve", "worker", "migrate", "createstaff", "demo", "audit", "rotate-keys", "check"):
        assert f"    {name}\n" in result.stdout, name


def test_production_refuses_to_start_without_explicit_keys(tmp_path):
    result = _run(["check"], {"CLINICDESK_ENV": "production", "CLINICDESK_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "CLINICDESK_SECRET_KEY must be set in production" in result.stderr
    assert not any(tmp_path.iterdir())  # nothing was generated behind the operator's back


def test_check_deploy_passes_in_production_mode(tmp_path):
    import base64
    import secrets

    key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    env = {
        "CLINICDESK_ENV": "production",
        "CLINICDESK_SECRET_KEY": secrets.token_urlsafe(60),
        "CLINICDESK_ENCRYPTION_KEYS": f"k2026:{key}",
        "CLINICDESK_BLIND_INDEX_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "ALLOWED_HOSTS": "clinic.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "CLINICDESK_VAR_DIR": str(tmp_path),
    }
    result = _run(["check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_check_deploy_fails_loudly_with_debug_on_in_production(tmp_path):
    import secrets

    env = {
        "CLINICDESK_ENV": "production",
        "CLINICDESK_SECRET_KEY": secrets.token_urlsafe(60),
        "DEBUG": "true",
        "CLINICDESK_ENCRYPTION_KEYS": "k1:" + "A" * 43 + "=",
        "CLINICDESK_BLIND_INDEX_KEY": "B" * 43 + "=",
        "ALLOWED_HOSTS": "clinic.example.org",
        "CLINICDESK_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
    }
    result = _run(["check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode != 0 and "DEBUG" in result.stderr


def test_the_demo_loads_once_and_prints_a_login_per_role(db):
    from clinicdesk.patients.models import Patient

    out = io.StringIO()
    call_command("demo", "--patients", "25", stdout=out)
    call_command("demo", "--patients", "25", stdout=io.StringIO())
    from clinicdesk.scheduling.demo import DEMO_CLINICIANS

    # One login per role, plus the extra clinicians the scheduling demo books patients with.
    assert User.objects.count() == 7 + len(DEMO_CLINICIANS) and len({u.role for u in User.objects.all()}) == 7
    assert Patient.objects.count() == 25
    from clinicdesk.patients.models import Coverage

    # Every demo patient has a primary coverage (or self-pay), and none has two active primaries.
    primaries = Coverage.objects.filter(priority="primary", ended_at__isnull=True)
    assert primaries.count() == 25 and primaries.values("patient").distinct().count() == 25
    assert "dana" in out.getvalue() and "Auditor" in out.getvalue() and "25 synthetic patients" in out.getvalue()


def test_the_same_seed_gives_the_same_demo_patients():
    from clinicdesk.patients.demo import demo_patient_inputs

    first = [(d.values, d.phones) for d in demo_patient_inputs(50, 7)]
    assert first == [(d.values, d.phones) for d in demo_patient_inputs(50, 7)]
    assert first != [(d.values, d.phones) for d in demo_patient_inputs(50, 8)]
    assert len({tuple(d[1].values()) for d in first}) == 50  # no two share a phone number


def test_createstaff_makes_the_first_office_manager(db, monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdin", io.StringIO("a sturdy passphrase 9\n"))
    call_command("createstaff", "first.manager", "--role", "office_manager", "--password-stdin", stdout=out)
    user = User.objects.get(username="first.manager")
    assert user.role == "office_manager" and user.check_password("a sturdy passphrase 9")


def test_createstaff_refuses_a_weak_password_and_creates_nothing(db, monkeypatch):
    import pytest
    from django.core.management import CommandError

    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    with pytest.raises(CommandError, match="too short"):
        call_command("createstaff", "weakling", "--role", "front_desk", "--password-stdin")
    assert not User.objects.filter(username="weakling").exists()
