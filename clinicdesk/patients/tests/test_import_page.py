"""The upload page: file checked at once, import run by the task worker, progress and rejects shown."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from clinicdesk.patients.models import ImportJob, ImportStatus, Patient

CSV = "id,first,last,dob,sex,mobile\nA1,Ann,Lee,1990-01-02,F,(518) 555-0101\nA2,Bob,Ray,1985-02-30,M,\nA3,Cy,Ho,2001-05-06,M,\n"


def test_a_good_file_is_imported_and_its_rejects_can_be_downloaded(
    as_user, office_manager, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.VAR_DIR = tmp_path
    client = as_user(office_manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/patients/import/", {"file": SimpleUploadedFile("old-system.csv", CSV.encode())})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/patients/import/{job.public_id}/"
    job.refresh_from_db()
    # In tests tasks run at once (the immediate backend) on commit, so the job is finished already.
    assert (job.status, job.total_rows, job.created_count, job.rejected_count) == (ImportStatus.DONE, 3, 2, 1)
    page = client.get(f"/patients/import/{job.public_id}/")
    assert b"2 patients created, 0 already imported, 1 rejected" in page.content
    partial = client.get(f"/patients/import/{job.public_id}/", HTTP_HX_REQUEST="true")
    assert partial.content.lstrip().startswith(b'<div id="progress"') and b"hx-trigger" not in partial.content
    rejects = client.get(f"/patients/import/{job.public_id}/rejects.csv")
    assert rejects.status_code == 200 and b"date_of_birth" in rejects.content and b"A2" in rejects.content
    assert Patient.objects.count() == 2


def test_a_bad_file_is_refused_on_the_spot_and_nothing_is_queued(as_user, office_manager, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    response = as_user(office_manager).post(
        "/patients/import/", {"file": SimpleUploadedFile("bad.csv", "id,first\nA1,Zoë\n".encode("latin-1"))}
    )
    assert response.status_code == 422 and b"Nothing was imported: The file is not UTF-8" in response.content
    assert not ImportJob.objects.exists() and not list((tmp_path / "imports").iterdir())


def test_only_the_office_manager_imports(as_user, front_desk):
    assert as_user(front_desk).get("/patients/import/").status_code == 403


def test_a_queued_import_is_done_by_a_real_worker_process(committed_db, office_manager, settings, tmp_path):
    """Once through the real thing: the database queue and `clinicdesk worker --batch`."""
    from django.db import connection

    from clinicdesk.patients.import_jobs import import_job_create

    settings.VAR_DIR = tmp_path
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # the real queue
    job = import_job_create(actor=office_manager, upload=SimpleUploadedFile("q.csv", CSV.encode()))
    job.refresh_from_db()
    assert job.status == ImportStatus.QUEUED
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "clinicdesk.settings", "CLINICDESK_VAR_DIR": str(tmp_path)}
    if connection.vendor == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{connection.settings_dict['NAME']}"
    else:
        d = connection.settings_dict
        env["DATABASE_URL"] = f"postgres://{d['USER']}:{d.get('PASSWORD') or ''}@{d['HOST']}:{d['PORT']}/{d['NAME']}"
    result = subprocess.run(
        [sys.executable, "-m", "clinicdesk", "worker", "--batch"],
        cwd=Path(__file__).resolve().parents[3],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    job.refresh_from_db()
    assert (job.status, job.created_count) == (ImportStatus.DONE, 2)
