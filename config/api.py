from shiguang.accounts.api import router as accounts_router
from shiguang.core.api import build_api
from shiguang.notify.api import router as notify_router
from shiguang.people.api import router as people_router
from shiguang.places.api import router as places_router

api = build_api(
    title="Shiguang 时光家园 API",
    version="1",
    description="JSON API for the mini-program, devices and integrations. Errors: {code, message, fields}.",
    urls_namespace="api",
)
api.add_router("/accounts", accounts_router, tags=["accounts"])
api.add_router("/places", places_router, tags=["places"])
api.add_router("/people", people_router, tags=["people"])
api.add_router("/notifications", notify_router, tags=["notifications"])
