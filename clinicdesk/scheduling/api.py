"""The scheduling API under /api/v1/scheduling: one router made of its features' routers."""

from ninja import Router

from .appointment_api import router as appointment_router
from .availability_api import router as availability_router
from .flow_api import router as flow_router
from .series_api import router as series_router
from .setup_api import router as setup_router
from .waitlist_api import router as waitlist_router

router = Router()
router.add_router("", setup_router)  # locations, rooms, providers, visit types, templates
router.add_router("", flow_router)  # patient flow, confirmations, flow board, day schedule
router.add_router("", availability_router)
router.add_router("", appointment_router)
router.add_router("", waitlist_router)
router.add_router("", series_router)
