from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from config.api import api
from shiguang.core import views as core_views

admin.site.site_header = "时光家园 · 后台"
admin.site.site_title = "时光家园"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("accounts/", include("shiguang.accounts.urls")),
    path("people/", include("shiguang.people.urls")),
    path("places/", include("shiguang.places.urls")),
    path("notifications/", include("shiguang.notify.urls")),
    path("community/", include("shiguang.community.urls")),
    path("timebank/", include("shiguang.timebank.urls")),
    path("aid/", include("shiguang.aid.urls")),
    path("sos/", include("shiguang.sos.urls")),
    path("legal/", include("shiguang.legal.urls")),
    path("homeshare/", include("shiguang.homeshare.urls")),
    path("assistant/", include("shiguang.assistant.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
