from django.urls import path

from shiguang.timebank import views

app_name = "timebank"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("give/", views.give, name="give"),
    path("give/check/", views.give_check, name="give_check"),
    path("redeem/", views.redeem, name="redeem"),
    path("statement/", views.statement, name="statement"),
    path("statement.pdf", views.statement_export, {"fmt": "pdf"}, name="statement_pdf"),
    path("statement.xlsx", views.statement_export, {"fmt": "xlsx"}, name="statement_xlsx"),
    path("accounts/<int:account_id>/", views.account_detail, name="account"),
    path(
        "accounts/<int:account_id>/statement.pdf", views.statement_export, {"fmt": "pdf"}, name="account_pdf"
    ),
    path(
        "accounts/<int:account_id>/statement.xlsx",
        views.statement_export,
        {"fmt": "xlsx"},
        name="account_xlsx",
    ),
    path("pools/", views.pools, name="pools"),
    path("pools/priority/", views.priority, name="priority"),
    path("communities/<int:community_id>/", views.community, name="community"),
    path(
        "communities/<int:community_id>/statement.pdf",
        views.community_export,
        {"fmt": "pdf"},
        name="community_pdf",
    ),
    path(
        "communities/<int:community_id>/statement.xlsx",
        views.community_export,
        {"fmt": "xlsx"},
        name="community_xlsx",
    ),
    path("record/", views.record, name="record"),
    path("tx/<int:transaction_id>/", views.transaction_detail, name="transaction"),
    path("tx/<int:transaction_id>/reverse/", views.transaction_reverse, name="reverse"),
    path("policy/", views.policy, name="policy"),
    path("policy/new/", views.policy_new, name="policy_new"),
]
