"""Archive names and retention: which archives a folder holds, and removing all but the newest N.

An archive is named ``clinicdesk-backup-YYYYMMDDTHHMMSSZ.cdbk`` after the moment (UTC, from
the application's clock) its backup began; a second archive in the same second gets ``-1``,
``-2``... Retention orders by that name, never by file times, which copies and restores of
the folder change. Files that are not archives by this pattern are never touched.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from .container import sidecar_of

ARCHIVE_PATTERN = re.compile(r"^clinicdesk-backup-(?P<stamp>\d{8}T\d{6}Z)(?:-(?P<n>[1-9]\d*))?\.cdbk$")


def archive_name(folder: Path, created: datetime) -> str:
    """A name for an archive begun at `created` that no file in `folder` has yet."""
    stamp = created.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    name, n = f"clinicdesk-backup-{stamp}.cdbk", 0
    while (folder / name).exists() or sidecar_of(folder / name).exists():
        n += 1
        name = f"clinicdesk-backup-{stamp}-{n}.cdbk"
    return name


def archives_in(folder: Path) -> list[Path]:
    """The archives in `folder`, oldest first (by the moment in their names)."""
    found = []
    for path in folder.iterdir():
        match = ARCHIVE_PATTERN.match(path.name)
        if match and path.is_file():
            found.append(((match["stamp"], int(match["n"] or 0)), path))
    return [path for _, path in sorted(found)]


def prune_archives(folder: Path, *, keep: int, written: Path) -> list[Path]:
    """Delete all but the newest `keep` archives of `folder` (and their .sha256 files).

    `written` (the archive just made) is always kept and counts as one of the `keep`; 0 keeps
    everything. Returns the archives deleted, oldest first.
    """
    if keep <= 0:
        return []
    others = [path for path in archives_in(folder) if path != written]
    doomed = others[: max(0, len(others) - (keep - 1))]
    for path in doomed:
        path.unlink(missing_ok=True)
        sidecar_of(path).unlink(missing_ok=True)
    return doomed
