from django.urls import path

from shiguang.legal import views

app_name = "legal"
urlpatterns = [
    path("", views.index, name="index"),
    path("clauses/", views.clauses, name="clauses"),
    path("clauses/<slug:domain>/new/", views.clause_edit, name="clause_new"),
    path("clauses/<slug:domain>/<slug:key>/", views.clause_edit, name="clause_edit"),
    path("reviews/", views.reviews, name="reviews"),
    path("reviews/<int:review_id>/", views.review_detail, name="review_detail"),
    path("consultations/", views.consultations, name="consultations"),
    path("consultations/<int:consultation_id>/", views.consultation_detail, name="consultation_detail"),
    path("consultations/<int:consultation_id>/close/", views.consultation_close, name="consultation_close"),
    path("mediation/", views.mediation, name="mediation"),
    path("mediation/<int:case_id>/", views.mediation_detail, name="mediation_detail"),
]
