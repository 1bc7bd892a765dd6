from __future__ import annotations

import json

from shiguang.accounts.models import ApiToken


def test_openapi_docs_are_served(client):
    assert client.get("/api/v1/docs").status_code == 200
    schema = client.get("/api/v1/openapi.json").json()
    op = schema["paths"]["/api/v1/people/elders"]["get"]
    assert {"200", "401", "403", "404", "409", "422", "429"} <= set(op["responses"])


def test_unauthenticated_gets_401_in_the_error_format(client):
    response = client.get("/api/v1/accounts/me")
    assert response.status_code == 401
    assert set(response.json()) == {"code", "message", "fields"}


def test_bearer_token_for_app_clients(elder_a, client):
    response = client.post(
        "/api/v1/accounts/token",
        json.dumps({"username": "13800138001", "password": "correct-horse-9"}),
        content_type="application/json",
    )
    assert response.status_code == 201
    key = response.json()["token"]
    assert not ApiToken.objects.filter(key_hash=key).exists()  # only the hash is stored
    me = client.get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert me.status_code == 200 and me.json()["role"] == "elder"
    assert client.get("/api/v1/accounts/me", HTTP_AUTHORIZATION="Bearer nope").status_code == 401


def test_bad_login_for_token_is_401(elder_a, client):
    response = client.post(
        "/api/v1/accounts/token",
        json.dumps({"username": "13800138001", "password": "wrong"}),
        content_type="application/json",
    )
    assert response.status_code == 401 and "账号或密码不正确" in response.json()["message"]


def test_malformed_json_is_a_422_not_a_500(worker_a, login):
    client = login(worker_a)
    response = client.post("/api/v1/people/elders", "{not json", content_type="application/json")
    assert response.status_code in (400, 422)
    assert "code" in response.json()


def test_places_and_coverage(futian, worker_a, login):
    client = login(worker_a)
    coverage = client.get("/api/v1/places/coverage").json()
    assert coverage["ageing_communities"] == 3 and coverage["covered"] == 1
    assert len(client.get("/api/v1/places/facilities").json()) == 1


def test_bearer_clients_can_post_without_csrf(elder_a, client):
    from shiguang.accounts.services import token_issue

    key = token_issue(user=elder_a.user, name="app")[1]
    response = client.post(
        "/api/v1/notifications/read",
        "{}",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 200


def test_a_body_that_is_not_a_json_object_is_refused_and_changes_nothing(elder_a, client):
    from shiguang.accounts.services import token_issue
    from shiguang.notify import services as notify

    notify.enqueue(recipient=elder_a.user, template="system.message", data={"title": "t", "body": "b"})
    token = token_issue(user=elder_a.user, name="test")[1]
    for body in ("1", '"all"', "[]", "null"):
        response = client.post(
            "/api/v1/notifications/read",
            data=body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        assert response.status_code == 422, body
        assert response.json()["code"] == "invalid"
    # "mark read" with ids null means all: a scalar body must not have been read as that
    assert elder_a.user.notifications.filter(read_at__isnull=True).count() == 1


def test_a_number_the_database_cannot_hold_is_a_422_and_leaves_the_transaction_usable(worker_a, client):
    """PostgreSQL aborts the transaction on "out of range": inside an atomic block (a caller's transaction, a
    test's savepoint) the 422 must roll the block back, so the next statement still works."""
    from django.db import transaction

    from shiguang.accounts.models import User
    from shiguang.accounts.services import token_issue

    key = token_issue(user=worker_a, name="app")[1]
    with transaction.atomic():
        response = client.get(
            "/api/v1/community/outreach?offset=99999999999999999999", HTTP_AUTHORIZATION=f"Bearer {key}"
        )
        assert response.status_code == 422 and response.json()["code"] == "invalid"
    assert User.objects.filter(pk=worker_a.pk).exists()
