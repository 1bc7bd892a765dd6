"""A community worker cannot see or change another community's elders: not through pages, API or admin."""

from __future__ import annotations

import json

import pytest

from shiguang.core.errors import Forbidden
from shiguang.core.scoping import scoped
from shiguang.people import services
from shiguang.people.models import ElderProfile


def test_selectors_follow_the_place_hierarchy(
    elder_a, elder_b, worker_a, street_staff, district_staff, system
):
    assert set(scoped(ElderProfile.objects.all(), worker_a)) == {elder_a}
    assert set(scoped(ElderProfile.objects.all(), street_staff)) == {elder_a}  # 南园 only
    assert set(scoped(ElderProfile.objects.all(), district_staff)) == {elder_a, elder_b}
    assert set(scoped(ElderProfile.objects.all(), system)) == {elder_a, elder_b}


def test_elders_see_themselves_and_family_their_linked_elder(elder_a, elder_b, family_a, volunteer_a, legal):
    assert set(scoped(ElderProfile.objects.all(), elder_a.user)) == {elder_a}
    assert set(scoped(ElderProfile.objects.all(), family_a)) == {elder_a}
    assert set(scoped(ElderProfile.objects.all(), volunteer_a.user)) == set()
    assert set(scoped(ElderProfile.objects.all(), legal)) == set()


def test_pages_hide_other_communities(elder_a, elder_b, worker_a, login):
    client = login(worker_a)
    listing = client.get("/people/elders/").content.decode()
    assert "陈婆婆" in listing and "李伯" not in listing
    assert client.get(f"/people/elders/{elder_b.pk}/").status_code == 404
    response = client.post(
        f"/people/elders/{elder_b.pk}/contacts/", {"name": "x", "relation": "son", "phone": "13811112222"}
    )
    assert response.status_code == 404
    assert elder_b.emergency_contacts.count() == 0


def test_api_hides_other_communities(elder_a, elder_b, worker_a, login):
    client = login(worker_a)
    body = client.get("/api/v1/people/elders").json()
    assert [e["name"] for e in body["items"]] == ["陈婆婆"]
    assert client.get(f"/api/v1/people/elders/{elder_b.pk}").status_code == 404
    patch = client.patch(
        f"/api/v1/people/elders/{elder_b.pk}",
        json.dumps({"needs": ["meal"]}),
        content_type="application/json",
    )
    assert patch.status_code == 404
    elder_b.refresh_from_db()
    assert elder_b.needs == []


def test_api_refuses_registering_into_another_community(futian, worker_a, login):
    client = login(worker_a)
    payload = {
        "community_id": futian["b"].pk,
        "name": "王伯",
        "gender": "male",
        "birth_date": "1940-01-01",
        "living_arrangement": "alone",
        "hukou": "registered",
    }
    response = client.post("/api/v1/people/elders", json.dumps(payload), content_type="application/json")
    assert response.status_code == 403
    assert not ElderProfile.objects.filter(name="王伯").exists()


def test_admin_hides_other_communities(elder_a, elder_b, worker_a, login):
    client = login(worker_a)
    listing = client.get("/admin/people/elderprofile/").content.decode()
    assert "陈婆婆" in listing and "李伯" not in listing
    assert client.get(f"/admin/people/elderprofile/{elder_b.pk}/change/").status_code in (302, 404)


def test_service_refuses_out_of_scope_writes(elder_b, worker_a):
    with pytest.raises(Forbidden):
        services.elder_update(actor=worker_a, elder=elder_b, changes={"needs": ["meal"]})
