"""The clinical API under /api/v1/clinical, over the same services as the pages."""

from ninja import Router

from .encounter_api import router as encounters_router
from .list_api import router as lists_router
from .note_api import router as notes_router
from .recall_api import router as recalls_router

router = Router()
router.add_router("", encounters_router)
router.add_router("", notes_router)
router.add_router("", lists_router)
router.add_router("", recalls_router)
