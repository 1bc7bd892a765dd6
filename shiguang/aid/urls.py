from django.urls import path

from shiguang.aid import views

app_name = "aid"
urlpatterns = [
    path("", views.square, name="square"),
    path("post/", views.post, name="post"),
    path("mine/", views.mine, name="mine"),
    path("requests/<int:request_id>/", views.detail, name="detail"),
    path("requests/<int:request_id>/accept/", views.accept, name="accept"),
    path("requests/<int:request_id>/decline/", views.decline, name="decline"),
    path("requests/<int:request_id>/release/", views.release, name="release"),
    path("requests/<int:request_id>/cancel/", views.cancel, name="cancel"),
    path("requests/<int:request_id>/no-show/", views.no_show, name="no_show"),
    path("requests/<int:request_id>/reopen/", views.reopen, name="reopen"),
    path("requests/<int:request_id>/check-in/", views.check_in, name="check_in"),
    path("requests/<int:request_id>/check-out/", views.check_out, name="check_out"),
    path("requests/<int:request_id>/confirm/", views.confirm, name="confirm"),
    path("requests/<int:request_id>/rate/", views.rate, name="rate"),
    path("requests/<int:request_id>/dispute/", views.dispute, name="dispute"),
    path("requests/<int:request_id>/block/", views.block, name="block"),
    path("requests/<int:request_id>/contact/", views.contact, name="contact"),
    path("requests/<int:request_id>/photo/", views.photo, name="photo"),
    path("code/", views.my_code, name="my_code"),
    path("elders/<int:elder_id>/code/", views.elder_code, name="elder_code"),
    path("elders/<int:elder_id>/preferences/", views.preferences, name="preferences"),
    path("scan/", views.scan, name="scan"),
    path("tasks/", views.tasks, name="tasks"),
    path("offers/", views.offers, name="offers"),
    path("offers/browse/", views.offers_browse, name="offers_browse"),
    path("offers/<int:offer_id>/<str:action>/", views.offer_action, name="offer_action"),
    path("console/", views.console, name="console"),
    path("console/disputes/", views.console_disputes, name="console_disputes"),
    path("console/disputes/<int:dispute_id>/", views.console_dispute, name="console_dispute"),
    path("console/<int:request_id>/", views.console_request, name="console_request"),
    path("rules/", views.rules, name="rules"),
]
