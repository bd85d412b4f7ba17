"""The patients API at the root of /api/v1: one router made of its features' routers."""

from ninja import Router

from .coverage_api import router as coverage_router
from .disclosure_api import router as disclosure_router
from .merge_api import router as merge_router
from .paperwork_api import router as paperwork_router
from .patient_api import router as patient_router
from .search.api import search_routes_add

search_routes_add(patient_router)  # GET /patients shares its path with POST /patients
router = Router()
router.add_router("", patient_router)
router.add_router("", coverage_router)
router.add_router("", paperwork_router)
router.add_router("", disclosure_router)
router.add_router("", merge_router)
