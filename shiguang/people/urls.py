from django.urls import path

from shiguang.people import views

app_name = "people"
urlpatterns = [
    path("elders/", views.elder_list, name="elder_list"),
    path("elders/new/", views.elder_new, name="elder_new"),
    path("elders/<int:elder_id>/", views.elder_detail, name="elder_detail"),
    path("elders/<int:elder_id>/reveal/", views.elder_reveal, name="elder_reveal"),
    path("elders/<int:elder_id>/contacts/", views.elder_contact_add, name="elder_contact_add"),
    path("elders/<int:elder_id>/consents/", views.elder_consent, name="elder_consent"),
    path("elders/<int:elder_id>/assess/", views.elder_assess, name="elder_assess"),
    path("volunteers/", views.volunteer_list, name="volunteer_list"),
    path("volunteers/<int:volunteer_id>/verify/", views.volunteer_verify, name="volunteer_verify"),
    path("elders/<int:elder_id>/family/", views.elder_family_link, name="elder_family_link"),
    path("signup/volunteer/", views.signup_volunteer, name="signup_volunteer"),
    path("signup/family/", views.signup_family, name="signup_family"),
    path("import/", views.roster_import, name="roster_import"),
    path("import/template.xlsx", views.roster_template, name="roster_template"),
]
