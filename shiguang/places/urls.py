from django.urls import path

from shiguang.places import views

app_name = "places"
urlpatterns = [path("", views.network, name="network")]
