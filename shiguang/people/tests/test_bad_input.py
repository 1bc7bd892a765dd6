"""Malformed ID numbers, phones, dates, unknown places, duplicates, wrong roles: a clear message naming the
field, and nothing written."""

from __future__ import annotations

import json

import pytest

from shiguang.accounts.models import User
from shiguang.conftest import make_id_number
from shiguang.core.models import AuditEvent
from shiguang.people.models import ElderProfile

BASE = {
    "name": "王伯",
    "gender": "male",
    "birth_date": "1940-05-06",
    "living_arrangement": "alone",
    "hukou": "registered",
}


def post(client, payload):
    return client.post("/api/v1/people/elders", json.dumps(payload), content_type="application/json")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"id_number": "44030419400506123"}, "id_number", "18位"),
        ({"id_number": "440304194005061230"}, "id_number", "校验位"),
        ({"id_number": "440304194013061235"}, "id_number", "出生日期"),
        ({"phone": "1380013800"}, "phone", "11位"),
        ({"phone": "23800138000"}, "phone", "11位"),
        ({"birth_date": "2020-01-01"}, "birth_date", "60岁"),
        ({"gender": "x"}, "gender", "性别"),
        ({"living_arrangement": "castle"}, "living_arrangement", "居住状况"),
        ({"home_lat": 40.0}, "home_lat", "深圳"),
    ],
)
def test_bad_field_gets_a_named_translated_error_and_nothing_is_written(
    futian, worker_a, login, change, field, message
):
    client = login(worker_a)
    users_before, events_before = User.objects.count(), AuditEvent.objects.count()
    response = post(client, {**BASE, "community_id": futian["a"].pk, **change})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert any(message in m for m in body["fields"][field])
    assert ElderProfile.objects.count() == 0
    assert (User.objects.count(), AuditEvent.objects.count()) == (users_before, events_before)


def test_malformed_date_and_unknown_community(futian, worker_a, login):
    client = login(worker_a)
    response = post(client, {**BASE, "community_id": futian["a"].pk, "birth_date": "1940-13-45"})
    assert response.status_code == 422 and "birth_date" in response.json()["fields"]
    response = post(client, {**BASE, "community_id": 999999})
    assert response.status_code == 422 and "community_id" in response.json()["fields"]
    assert ElderProfile.objects.count() == 0


def test_duplicate_id_number_and_phone(elder_a, futian, worker_a, login):
    client = login(worker_a)
    response = post(client, {**BASE, "community_id": futian["a"].pk, "id_number": elder_a.id_number})
    assert response.status_code == 422 and "已登记" in response.json()["fields"]["id_number"][0]
    response = post(client, {**BASE, "community_id": futian["a"].pk, "phone": "13800138001"})
    assert response.status_code == 422 and "已注册" in response.json()["fields"]["phone"][0]
    assert ElderProfile.objects.count() == 1


def test_wrong_role_cannot_register(futian, elder_a, volunteer_a, login):
    for user in (elder_a.user, volunteer_a.user):
        response = post(login(user), {**BASE, "community_id": futian["a"].pk})
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
    assert ElderProfile.objects.count() == 1


def test_register_form_shows_errors_by_field(futian, worker_a, login):
    client = login(worker_a)
    response = client.post(
        "/people/elders/new/",
        {
            **BASE,
            "community": futian["a"].pk,
            "id_number": "440304194005061230",
            "phone": "12345",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "校验位" in page and "11位" in page
    assert ElderProfile.objects.count() == 0


def test_proxy_registration_via_form(futian, worker_a, login):
    client = login(worker_a)
    birth = "1938-02-03"
    response = client.post(
        "/people/elders/new/",
        {
            **BASE,
            "birth_date": birth,
            "community": futian["a"].pk,
            "id_number": make_id_number(__import__("datetime").date(1938, 2, 3), 77),
        },
    )
    elder = ElderProfile.objects.get()
    assert response.status_code == 302 and not elder.has_phone
    assert not elder.user.has_usable_password()
    event = AuditEvent.objects.get(code="people.elder.registered")
    assert event.actor_id == worker_a.pk and event.on_behalf_of_id == elder.user_id


def test_english_messages_when_language_is_english(futian, worker_a, login):
    client = login(worker_a)
    response = client.post(
        "/api/v1/people/elders",
        json.dumps({**BASE, "community_id": futian["a"].pk, "phone": "1"}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    assert response.json()["fields"]["phone"]
