"""Views and endpoints stay thin: they load records through access_* and selectors only."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
THIN = [*PACKAGE.glob("*/views.py"), *PACKAGE.glob("*/api.py"), PACKAGE / "api.py"]


def test_there_are_views_and_endpoints_to_check():
    assert len(THIN) >= 5


def test_no_view_or_endpoint_queries_a_model_directly():
    """A direct `.objects.` in a view would skip the capability check and the read audit."""
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}"
        for path in THIN
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"\.objects\b|\._default_manager\b|\.raw\(", line)
    ]
    assert offenders == []
