"""The community JSON API, mounted at /api/v1/community/ (thin: parse, call a service or selector)."""

from ninja import Router

from shiguang.community.api import activities, cases, outreach, training

router = Router()
router.add_router("", activities.router)
router.add_router("", training.router)
router.add_router("", outreach.router)
router.add_router("", cases.router)
