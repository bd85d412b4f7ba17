"""API of the clinical lists (joined under /api/v1/clinical by clinical/api.py)."""

from ninja import Router

router = Router(tags=["clinical lists"])
