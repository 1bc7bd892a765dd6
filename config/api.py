from shiguang.accounts.api import router as accounts_router
from shiguang.aid.api import router as aid_router
from shiguang.assistant.api import router as assistant_router
from shiguang.community.api import router as community_router
from shiguang.core.api import build_api
from shiguang.homeshare.api import router as homeshare_router
from shiguang.legal.api import router as legal_router
from shiguang.notify.api import router as notify_router
from shiguang.people.api import router as people_router
from shiguang.places.api import router as places_router
from shiguang.sos.api import router as sos_router
from shiguang.timebank.api import router as timebank_router

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
api.add_router("/community", community_router, tags=["community"])
api.add_router("/timebank", timebank_router, tags=["timebank"])
api.add_router("/aid", aid_router, tags=["aid"])
api.add_router("/sos", sos_router, tags=["sos"])
api.add_router("/legal", legal_router, tags=["legal"])
api.add_router("/homeshare", homeshare_router, tags=["homeshare"])
api.add_router("/assistant", assistant_router, tags=["assistant"])
