"""A URLconf without the assistant's pages: the tile must then stay off the home page, not break it."""

from django.urls import path

from shiguang.core import views as core_views

urlpatterns = [path("", core_views.home, name="home")]
