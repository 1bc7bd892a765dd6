from django.urls import path

from shiguang.sos import streams, views

app_name = "sos"
urlpatterns = [
    path("", views.elder, name="elder"),
    path("press/", views.press, name="press"),
    path("service/", views.service, name="service"),
    path("checkin/", views.checkin, name="checkin"),
    path("checkin/manage/", views.checkin_manage, name="checkin_manage"),
    path("console/", views.console, name="console"),
    path("console/cards/<int:alarm_id>/", views.console_card, name="console_card"),
    path("stream/", streams.console_stream, name="stream"),
    path("raise/", views.raise_for_elder, name="raise"),
    path("alarms/", views.alarm_list, name="alarm_list"),
    path("alarms/<int:alarm_id>/", views.alarm_detail, name="alarm"),
    path("alarms/<int:alarm_id>/act/", views.act, name="act"),
    path("alarms/<int:alarm_id>/reveal/", views.reveal, name="reveal"),
    path("alarms/<int:alarm_id>/status/", views.status, name="status"),
    path("alarms/<int:alarm_id>/ok/", views.elder_ok, name="elder_ok"),
    path("alarms/<int:alarm_id>/stream/", streams.alarm_stream, name="alarm_stream"),
    path("kpi/", views.kpi, name="kpi"),
    path("rosters/", views.rosters, name="rosters"),
    path("rosters/<int:shift_id>/end/", views.shift_end, name="shift_end"),
    path("devices/", views.devices, name="devices"),
    path("devices/<int:device_id>/", views.device_action, name="device_action"),
    path("policy/", views.policy, name="policy"),
    path("reviews/", views.reviews, name="reviews"),
    path("reviews/<int:review_id>/close/", views.review_close, name="review_close"),
]
