from django.urls import path

from shiguang.community.views import activities, cases, groups, outreach, training

app_name = "community"
urlpatterns = [
    # elders (and family members for their elder)
    path("", activities.activities, name="activities"),
    path("activities/<int:activity_id>/signup/", activities.signup, name="signup"),
    path("signups/<int:signup_id>/cancel/", activities.signup_cancel, name="signup_cancel"),
    path("c/<str:code>/", activities.checkin, name="checkin"),
    # staff: activities
    path("manage/", activities.manage, name="manage"),
    path("manage/new/", activities.activity_new, name="activity_new"),
    path("manage/series/new/", activities.series_new, name="series_new"),
    path("manage/series/<int:series_id>/end/", activities.series_end, name="series_end"),
    path("manage/<int:activity_id>/", activities.activity_detail, name="activity_detail"),
    path("manage/<int:activity_id>/elders/", activities.activity_elder_search, name="activity_elder_search"),
    path("manage/<int:activity_id>/proxy/", activities.activity_proxy_signup, name="activity_proxy_signup"),
    path("manage/<int:activity_id>/capacity/", activities.activity_capacity, name="activity_capacity"),
    path("manage/<int:activity_id>/cancel/", activities.activity_cancel, name="activity_cancel"),
    path("manage/<int:activity_id>/door/", activities.activity_door, name="activity_door"),
    path("manage/signups/<int:signup_id>/attendance/", activities.attendance_mark, name="attendance_mark"),
    # interest groups
    path("groups/", groups.groups, name="groups"),
    path("groups/new/", groups.group_new, name="group_new"),
    path("groups/<int:group_id>/", groups.group_detail, name="group_detail"),
    path("groups/<int:group_id>/join/", groups.group_join, name="group_join"),
    path("groups/<int:group_id>/leave/", groups.group_leave, name="group_leave"),
    path("groups/<int:group_id>/announce/", groups.group_announce, name="group_announce"),
    # volunteer training
    path("training/", training.training, name="training"),
    path("training/sessions/new/", training.session_new, name="session_new"),
    path("training/courses/new/", training.course_new, name="course_new"),
    path("training/sessions/<int:session_id>/", training.session_detail, name="session_detail"),
    path("training/sessions/<int:session_id>/enroll/", training.session_enroll, name="session_enroll"),
    path("training/sessions/<int:session_id>/cancel/", training.session_cancel, name="session_cancel"),
    path(
        "training/enrollments/<int:enrollment_id>/cancel/",
        training.enrollment_cancel,
        name="enrollment_cancel",
    ),
    path("training/enrollments/<int:enrollment_id>/mark/", training.enrollment_mark, name="enrollment_mark"),
    path("certifications/", training.my_certifications, name="my_certifications"),
    path("volunteers/", training.volunteers, name="volunteers"),
    path("volunteers/<int:volunteer_id>/", training.volunteer_detail, name="volunteer_detail"),
    path("rules/", training.rules, name="rules"),
    # outreach and screening
    path("outreach/", outreach.outreach, name="outreach"),
    path("outreach/new/", outreach.outreach_new, name="outreach_new"),
    path("outreach/elders/", outreach.outreach_elder_search, name="outreach_elder_search"),
    path("outreach/funnel/", outreach.funnel, name="funnel"),
    path("outreach/<int:visit_id>/", outreach.outreach_detail, name="outreach_detail"),
    path("outreach/<int:visit_id>/screening/", outreach.outreach_screening, name="outreach_screening"),
    path("outreach/<int:visit_id>/link/", outreach.outreach_link, name="outreach_link"),
    path("youth/", outreach.youth, name="youth"),
    # case write-ups
    path("cases/", cases.cases, name="cases"),
    path("cases/new/", cases.case_new, name="case_new"),
    path("cases/<int:case_id>/", cases.case_detail, name="case_detail"),
    path("cases/<int:case_id>/edit/", cases.case_edit, name="case_edit"),
    path("cases/<int:case_id>/submit/", cases.case_submit, name="case_submit"),
    path("cases/<int:case_id>/review/", cases.case_review, name="case_review"),
    path("cases/<int:case_id>/withdraw/", cases.case_withdraw, name="case_withdraw"),
]
