"""API of the clinical recalls (joined under /api/v1/clinical by clinical/api.py)."""

from ninja import Router

router = Router(tags=["clinical recalls"])
