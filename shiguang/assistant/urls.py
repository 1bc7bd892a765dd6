from django.urls import path

from shiguang.assistant import views

app_name = "assistant"

urlpatterns = [
    path("", views.chat, name="chat"),
    path("actions/<int:action_id>/confirm/", views.action_confirm, name="action_confirm"),
    path("actions/<int:action_id>/cancel/", views.action_cancel, name="action_cancel"),
    path("emergency/<int:countdown_id>/", views.emergency, name="emergency"),
    path("emergency/<int:countdown_id>/now/", views.emergency_now, name="emergency_now"),
    path("emergency/<int:countdown_id>/cancel/", views.emergency_cancel, name="emergency_cancel"),
    path("history/", views.history, name="history"),
    path("history/<int:conversation_id>/delete/", views.history_delete, name="history_delete"),
    path("history/delete-all/", views.history_delete_all, name="history_delete_all"),
    path("articles/", views.articles, name="articles"),
    path("articles/<int:article_id>/", views.article, name="article"),
    path("kb/", views.kb_list, name="kb_list"),
    path("kb/new/", views.kb_edit, name="kb_new"),
    path("kb/<int:article_id>/edit/", views.kb_edit, name="kb_edit"),
]
