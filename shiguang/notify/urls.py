from django.urls import path

from shiguang.notify import views

app_name = "notify"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read/", views.mark_all_read, name="mark_all_read"),
    path("stream/", views.stream, name="stream"),
]
