"""Pages for each role, and the API for the same features."""

from __future__ import annotations

from typing import Any

import pytest

from shiguang.core import clock
from shiguang.homeshare import services
from shiguang.homeshare.models import Application, Match, Offer
from shiguang.homeshare.tests.conftest import YOUTH2_ID, application_data, offer_data

pytestmark = pytest.mark.django_db


def as_user(user: Any) -> Any:
    """A separate client per user (the `login` fixture shares one client)."""
    from django.test import Client

    client = Client()
    client.force_login(user, backend="shiguang.accounts.backends.PhoneOrUsernameBackend")
    return client


def test_coordinator_pages(worker_a: Any, accepted: Any, login: Any) -> None:
    client = login(worker_a)
    version = services.current_version(accepted)
    for url in (
        "/homeshare/",
        "/homeshare/offers/",
        "/homeshare/offers/new/",
        f"/homeshare/offers/{accepted.offer_id}/",
        f"/homeshare/offers/{accepted.offer_id}/edit/",
        "/homeshare/applications/",
        f"/homeshare/applications/{accepted.application_id}/",
        "/homeshare/funnel/",
        "/homeshare/kpis/",
        "/homeshare/kpis/?street=" + str(accepted.community.street_id),
        "/homeshare/matching/?run=1",
        "/homeshare/matches/",
        f"/homeshare/matches/{accepted.pk}/",
        f"/homeshare/agreements/{version.pk}/",
        "/homeshare/monitoring/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    response = client.get(f"/homeshare/agreements/{version.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_elder_and_youth_pages(accepted: Any, login: Any) -> None:
    elder = login(accepted.offer.elder.user)
    page = elder.get("/homeshare/mine/")
    assert page.status_code == 200 and "我的房间" in page.content.decode()
    youth_user = accepted.application.volunteer.user
    page = login(youth_user).get("/homeshare/mine/")
    assert page.status_code == 200 and "我的申请" in page.content.decode()
    assert login(youth_user).get("/homeshare/").status_code == 403


def test_home_tiles(worker_a: Any, elder_a: Any, volunteer_a: Any, legal: Any, login: Any) -> None:
    assert "/homeshare/" in login(worker_a).get("/").content.decode()
    assert "/homeshare/mine/" in login(elder_a.user).get("/").content.decode()
    assert "/homeshare/mine/" in login(volunteer_a.user).get("/").content.decode()
    body = login(legal).get("/").content.decode()
    assert "/legal/reviews/" in body and "/legal/clauses/" in body


def test_offer_form_and_funnel_actions(worker_a: Any, elder_a: Any, login: Any) -> None:
    client = login(worker_a)
    data = offer_data()
    form = {k: v for k, v in data.items() if not isinstance(v, list | bool)}
    form.update({"elder": elder_a.pk, "quiet_from": "22:00", "quiet_to": "07:00", "has_lift": "on"})
    post = {
        **form,
        "help_kinds": data["help_kinds"],
        "languages": data["languages"],
        "included": data["included"],
    }
    response = client.post("/homeshare/offers/new/", post)
    assert response.status_code == 302, response.content.decode()[:2000]
    offer = Offer.objects.get(elder=elder_a)
    assert offer.has_lift and offer.help_kinds == ["companionship", "shopping"]
    response = client.post(f"/homeshare/participants/offer/{offer.pk}/stage/", {"stage": "vetted"})
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.stage == "interested"  # vetting refused: consents missing (the page shows why)
    client.post(
        f"/homeshare/participants/offer/{offer.pk}/dropout/", {"reason": "family", "note": "子女反对"}
    )
    offer.refresh_from_db()
    assert offer.dropout_reason == "family"


def test_youth_applies_on_the_page(volunteer_a: Any, login: Any) -> None:
    client = login(volunteer_a.user)
    assert client.get("/homeshare/applications/new/").status_code == 200
    data = application_data()
    post = {k: v for k, v in data.items() if not isinstance(v, list)}
    post.update({"help_kinds": data["help_kinds"], "languages": data["languages"], "accepts_pets": "on"})
    response = client.post("/homeshare/applications/new/", post)
    assert response.status_code == 302
    assert Application.objects.get(volunteer=volunteer_a).stage == "interested"


def test_api_flow(worker_a: Any, elder_a: Any, youth: Any, login: Any, legal: Any) -> None:
    from shiguang.homeshare.tests.conftest import vet_application, vet_offer
    from shiguang.people import services as people_services

    people_services.emergency_contact_add(
        actor=worker_a, elder=elder_a, name="陈女儿", relation="daughter", phone="13900139001"
    )
    staff = as_user(worker_a)
    payload = {"elder_id": elder_a.pk, **offer_data()}
    response = staff.post("/api/v1/homeshare/offers", payload, content_type="application/json")
    assert response.status_code == 201, response.json()
    offer = vet_offer(worker_a, Offer.objects.get(pk=response.json()["id"]))
    youth_client = as_user(youth.user)
    response = youth_client.post(
        "/api/v1/homeshare/applications",
        {**application_data(), "id_number": YOUTH2_ID},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["id_number_masked"].count("*") == 10
    app = vet_application(worker_a, Application.objects.get(pk=response.json()["id"]))
    suggestions = staff.get(f"/api/v1/homeshare/offers/{offer.pk}/suggestions").json()
    assert suggestions[0]["application_id"] == app.pk
    assert {f["key"] for f in suggestions[0]["explanation"]["hard"]} == {
        "gender", "smoking", "pets", "budget", "help", "language"
    }  # fmt: skip
    optimal = staff.get("/api/v1/homeshare/matching/optimal").json()
    assert [(p["offer_id"], p["application_id"]) for p in optimal["pairs"]] == [(offer.pk, app.pk)]
    response = staff.post(
        "/api/v1/homeshare/matches/bulk",
        {"pairs": [{"offer_id": offer.pk, "application_id": app.pk}]},
        content_type="application/json",
    )
    assert response.status_code == 201
    match = Match.objects.get()
    assert (
        staff.post(
            f"/api/v1/homeshare/matches/{match.pk}/meetings",
            {"held_at": clock.now().isoformat(), "place": "社区中心"},
            content_type="application/json",
        ).status_code
        == 201
    )
    for client, side in ((as_user(elder_a.user), None), (youth_client, None)):
        response = client.post(
            f"/api/v1/homeshare/matches/{match.pk}/decision",
            {"accept": True, "side": side},
            content_type="application/json",
        )
        assert response.status_code == 200
    detail = staff.get(f"/api/v1/homeshare/matches/{match.pk}").json()
    assert detail["status"] == "accepted"
    version_id = detail["current_agreement_id"]
    response = staff.post(f"/api/v1/homeshare/agreements/{version_id}/finalise")
    assert response.status_code == 200, response.json()
    sha = response.json()["sha256"]
    for client in (as_user(elder_a.user), youth_client, as_user(legal)):
        response = client.post(
            f"/api/v1/homeshare/agreements/{version_id}/sign",
            {"document_sha256": sha},
            content_type="application/json",
        )
        assert response.status_code == 201, response.json()
    assert staff.get(f"/api/v1/homeshare/matches/{match.pk}").json()["status"] == "trial"
    assert len(staff.get(f"/api/v1/homeshare/matches/{match.pk}/visits").json()) >= 5
    response = staff.get(f"/api/v1/homeshare/agreements/{version_id}/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    funnel = staff.get("/api/v1/homeshare/funnel").json()
    assert {s["key"]: s["offers"] for s in funnel["stages"]}["trial"] == 1
    assert staff.get("/api/v1/homeshare/kpis").json()["living_now"] == 1  # moves in next week


def test_api_scope(worker_b: Any, accepted: Any, login: Any) -> None:
    client = login(worker_b)
    assert client.get(f"/api/v1/homeshare/matches/{accepted.pk}").status_code == 404
    assert client.get(f"/api/v1/homeshare/offers/{accepted.offer_id}").status_code == 404
    assert client.get("/api/v1/homeshare/offers").json() == []


def test_api_requires_login(client: Any) -> None:
    assert client.get("/api/v1/homeshare/offers").status_code == 401


def test_worker_can_apply_for_a_youth_on_the_page(worker_a: Any, youth: Any, login: Any) -> None:
    client = login(worker_a)
    assert client.get(f"/homeshare/applications/new/?volunteer={youth.pk}").status_code == 200
    response = services.application_create(actor=worker_a, volunteer=youth, **application_data())
    assert response.created_by_id == worker_a.pk
