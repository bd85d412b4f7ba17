"""`clinicdesk worker --batch` (for cron): it queues the scheduled jobs that are due, runs them, and exits."""

from __future__ import annotations

from clinicdesk.core.models import RunOutcome, ScheduledRun

from .processes import process_env


def test_a_batch_worker_queues_the_due_jobs_runs_them_and_exits(processes):
    worker = processes.start("worker", ["-m", "clinicdesk", "worker", "--batch"], process_env())
    assert worker.process.wait(timeout=600) == 0, worker.output()[-3000:]
    runs = {run.job: run for run in ScheduledRun.objects.all()}
    for job in ("test.heartbeat", "accounts.sessions_cleanup", "core.backup", "core.scheduler_history_prune"):
        assert runs[job].outcome == RunOutcome.SUCCEEDED, (job, runs[job].detail, worker.output()[-3000:])
    assert runs["core.backup"].detail.startswith("archive: clinicdesk-backup-")
    assert len(list((processes.folder / "backups").glob("clinicdesk-backup-*.cdbk"))) == 1
