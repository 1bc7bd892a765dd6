"""The JSON API covers what the pages do: the feed, the life cycle, the console, rules, codes, blocks."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from shiguang.aid import checkin, services
from shiguang.aid.models import AidPolicy, Block, HelpRequest
from shiguang.aid.tests.conftest import needs_timebank, run_timers
from shiguang.core import clock


def post_json(client, path, payload=None, method="post"):
    return getattr(client, method)(
        f"/api/v1/aid{path}", json.dumps(payload or {}), content_type="application/json"
    )


def test_every_operation_declares_its_error_codes(client):
    schema = client.get("/api/v1/openapi.json").json()
    aid_paths = {p: ops for p, ops in schema["paths"].items() if p.startswith("/api/v1/aid/")}
    assert len(aid_paths) >= 25
    for path, ops in aid_paths.items():
        for method, op in ops.items():
            assert {"401", "403", "404", "409", "422", "429"} <= set(op["responses"]), (method, path)


def test_feed_filters_sorts_and_pages(elder, volunteer, post, login, make_volunteer):
    repair = post(category="repair", description="修水龙头", urgency="this_week")
    shopping = post(category="shopping", urgency="today")
    client = login(volunteer.user)
    body = client.get("/api/v1/aid/feed").json()
    assert body["count"] == 2 and body["next_offset"] is None
    assert {i["id"] for i in body["items"]} == {repair.pk, shopping.pk}
    assert all(i["distance_km"] is not None and i["distance_km"] < 1 for i in body["items"])
    assert "address" not in json.dumps(body)  # never the address in the square
    only = client.get("/api/v1/aid/feed?category=repair").json()
    assert [i["id"] for i in only["items"]] == [repair.pk]
    urgent = client.get("/api/v1/aid/feed?sort=urgent").json()
    assert urgent["items"][0]["id"] == shopping.pk
    page = client.get("/api/v1/aid/feed?limit=1").json()
    assert page["count"] == 2 and len(page["items"]) == 1 and page["next_offset"] == 1
    far = client.get("/api/v1/aid/feed?within_km=1&lat=22.60&lng=114.00").json()
    assert far["count"] == 0
    near = client.get("/api/v1/aid/feed?within_km=1&lat=22.541&lng=114.089").json()
    assert near["count"] == 2


def test_feed_rejects_bad_filters(volunteer, login):
    client = login(volunteer.user)
    for query in (
        "category=massage",
        "urgency=never",
        "sort=random",
        "limit=500",
        "within_km=99",
        "lat=40&lng=114",
    ):
        response = client.get(f"/api/v1/aid/feed?{query}")
        assert response.status_code == 422, query
        assert response.json()["code"] == "invalid"


def test_feed_hides_what_a_volunteer_may_not_take(elder, post, make_volunteer, login, worker_a):
    man = make_volunteer("男志愿者", gender="male")
    services.preference_set(actor=worker_a, elder=elder, volunteer_gender="female")
    post()
    assert login(man.user).get("/api/v1/aid/feed").json()["count"] == 0
    woman = make_volunteer("女志愿者", gender="female")
    assert login(woman.user).get("/api/v1/aid/feed").json()["count"] == 1


def test_feed_for_staff_is_their_area(elder, post, worker_a, worker_b, login):
    post()
    assert login(worker_a).get("/api/v1/aid/feed").json()["count"] == 1
    assert login(worker_b).get("/api/v1/aid/feed").json()["count"] == 0


def test_feed_needs_sign_in(client):
    assert client.get("/api/v1/aid/feed").status_code == 401


def test_create_for_self_and_for_an_elder(elder, worker_a, login):
    response = post_json(
        login(elder.user),
        "/requests",
        {"category": "digital_help", "urgency": "soon", "description": "教我用微信视频"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["elder_name"] == "陈婆婆" and body["status"] == "open" and "cancel" in body["actions"]
    response = post_json(
        login(worker_a),
        "/requests",
        {"elder_id": elder.pk, "category": "meal", "urgency": "today", "duration_minutes": 45},
    )
    assert response.status_code == 201 and response.json()["duration_minutes"] == 45
    response = post_json(login(worker_a), "/requests", {"category": "meal"})
    assert response.status_code == 422 and "elder_id" in response.json()["fields"]


@needs_timebank
def test_full_cycle_over_the_api(elder, volunteer, login):
    elder_client = login(elder.user)
    req = post_json(elder_client, "/requests", {"category": "shopping", "urgency": "today"}).json()
    v = login(volunteer.user)
    assert post_json(v, f"/requests/{req['id']}/accept").json()["status"] == "accepted"
    code = login(elder.user).get(f"/api/v1/aid/elders/{elder.pk}/checkin-code").json()  # one test client
    assert len(code["code"]) == 6 and code["scan_url"].endswith(f"/aid/scan/?t={code['token']}")
    v = login(volunteer.user)
    body = post_json(v, f"/requests/{req['id']}/check-in", {"method": "qr", "token": code["token"]}).json()
    assert body["status"] == "in_service" and body["checkin_method"] == "qr"
    body = v.post(f"/api/v1/aid/requests/{req['id']}/check-out", {"summary": "买了菜"}).json()
    assert body["status"] == "done" and body["record"]["summary"] == "买了菜"
    elder_client = login(elder.user)
    body = post_json(elder_client, f"/requests/{req['id']}/confirm", {"minutes": 30}).json()
    assert body["status"] == "confirmed" and body["credited_minutes"] == 30 and body["ledger_transaction"]
    assert post_json(elder_client, f"/requests/{req['id']}/rate", {"score": 5}).status_code == 201
    v = login(volunteer.user)
    assert (
        post_json(v, f"/requests/{req['id']}/rate", {"score": 4, "comment": "奶奶很客气"}).status_code == 201
    )
    tasks = v.get("/api/v1/aid/tasks").json()
    assert tasks["recent"][0]["id"] == req["id"]
    me = v.get("/api/v1/timebank/me")  # the time bank's own API shows the hours to the volunteer
    assert me.status_code == 200 and float(me.json()["earned_hours"]) > 0


def test_check_in_by_position(elder, volunteer, post, login, district_staff):
    req = post()
    services.help_request_accept(actor=volunteer.user, request_id=req.pk)
    client = login(volunteer.user)
    response = post_json(
        client, f"/requests/{req.pk}/check-in", {"method": "geo", "lat": 22.5500, "lng": 114.089}
    )
    assert response.status_code == 422 and "200米以内" in response.json()["fields"]["lat"][0]
    response = post_json(
        client,
        f"/requests/{req.pk}/check-in",
        {"method": "geo", "lat": 22.5411, "lng": 114.0892, "accuracy_m": 900},
    )
    assert response.status_code == 422 and "不够准确" in response.json()["fields"]["lat"][0]
    response = post_json(
        client,
        f"/requests/{req.pk}/check-in",
        {"method": "geo", "lat": 22.5411, "lng": 114.0892, "accuracy_m": 30},
    )
    assert response.status_code == 200
    req.refresh_from_db()
    assert req.checkin_method == "geo" and req.checkin_distance_m < 50


def test_position_check_in_needs_location_consent(elder_b, worker_b, volunteer, login):
    req = services.help_request_create(
        actor=worker_b, elder=elder_b, category="shopping", description="", urgency="today"
    )
    services.help_request_assign(actor=worker_b, request_id=req.pk, volunteer_id=volunteer.pk)
    response = post_json(
        login(volunteer.user),
        f"/requests/{req.pk}/check-in",
        {"method": "geo", "lat": 22.541, "lng": 114.089},
    )
    assert response.status_code == 422 and "未同意使用位置信息" in response.json()["fields"]["method"][0]


def test_checkin_codes_rotate_and_expire(elder):
    with clock.frozen(dt.datetime(2026, 3, 2, 10, 0, tzinfo=clock.SHANGHAI)):
        first = checkin.current(elder)
        assert checkin.verify_code(elder, first.code)
        assert checkin.verify_token(elder, first.token)
        clock.advance(dt.timedelta(minutes=6))  # the next window: the previous code is still accepted
        assert checkin.verify_code(elder, first.code) and checkin.current(elder).code != first.code
        clock.advance(dt.timedelta(minutes=6))  # two windows on: refused
        assert not checkin.verify_code(elder, first.code)
        assert not checkin.verify_token(elder, first.token)
    assert not checkin.verify_code(elder, "12345") and not checkin.verify_token(elder, "nonsense")


def test_checkin_code_is_not_for_volunteers(elder, volunteer, login, worker_b):
    assert login(volunteer.user).get(f"/api/v1/aid/elders/{elder.pk}/checkin-code").status_code == 404
    assert login(worker_b).get(f"/api/v1/aid/elders/{elder.pk}/checkin-code").status_code == 404


def test_candidates_endpoint_explains_factors(elder, volunteer, post, worker_a, login):
    req = post()
    body = login(worker_a).get(f"/api/v1/aid/requests/{req.pk}/candidates").json()
    top = body["candidates"][0]
    assert top["volunteer"]["name"] == "小王" and top["factors"]["skill"] == 20
    assert body["weights"]["distance"] == 30 and body["location_source"] == "home"
    assert login(volunteer.user).get(f"/api/v1/aid/requests/{req.pk}/candidates").status_code == 403


def test_dispatch_assign_decline_release_over_the_api(elder, make_volunteer, post, worker_a, login):
    a, b = make_volunteer("甲"), make_volunteer("乙", lat=22.545)
    req = post()
    invited = post_json(login(worker_a), f"/requests/{req.pk}/dispatch").json()
    assert {i["volunteer"]["id"] for i in invited} == {a.pk, b.pk}
    assert (
        post_json(login(a.user), f"/requests/{req.pk}/decline", {"reason": "出差"}).json()["status"]
        == "declined"
    )
    assert (
        post_json(login(worker_a), f"/requests/{req.pk}/assign", {"volunteer_id": b.pk}).json()["status"]
        == "accepted"
    )
    body = post_json(login(b.user), f"/requests/{req.pk}/release", {"reason": "生病了"}).json()
    assert body["status"] == "open" and body["assignee"] is None


def test_no_show_and_reopen_over_the_api(elder, volunteer, post, login):
    req = post()
    services.help_request_accept(actor=volunteer.user, request_id=req.pk)
    client = login(elder.user)
    assert (
        post_json(client, f"/requests/{req.pk}/no-show", {"reason": "没人来"}).json()["status"] == "no_show"
    )
    assert post_json(client, f"/requests/{req.pk}/reopen").json()["status"] == "open"


def test_disputes_over_the_api(elder, volunteer, post, worker_a, login):
    req = post()
    services.help_request_accept(actor=volunteer.user, request_id=req.pk)
    response = post_json(login(elder.user), f"/requests/{req.pk}/dispute", {"reason": "志愿者迟到两小时"})
    assert response.status_code == 201
    listed = login(worker_a).get("/api/v1/aid/disputes").json()
    assert [d["request_id"] for d in listed] == [req.pk]
    resolved = post_json(
        login(worker_a),
        f"/disputes/{listed[0]['id']}/resolve",
        {"outcome": "no_credit", "note": "双方同意取消"},
    ).json()
    assert resolved["status"] == "resolved"
    bad = post_json(login(worker_a), f"/disputes/{listed[0]['id']}/resolve", {"outcome": "x", "note": "y"})
    assert bad.status_code == 409


def test_offers_over_the_api(volunteer, elder, login, make_volunteer):
    now = clock.now()
    payload = {
        "categories": ["repair"],
        "available_from": now.isoformat(),
        "available_to": (now + dt.timedelta(days=2)).isoformat(),
        "radius_km": 3,
    }
    response = post_json(login(volunteer.user), "/offers", payload)
    assert response.status_code == 201
    offer_id = response.json()["id"]
    assert [o["id"] for o in login(elder.user).get("/api/v1/aid/offers?category=repair").json()] == [offer_id]
    assert post_json(login(volunteer.user), "/offers", {**payload, "categories": []}).status_code == 422
    assert post_json(login(volunteer.user), "/offers", {**payload, "radius_km": 99}).status_code == 422
    pending = make_volunteer("未核验", verified=False)
    assert post_json(login(pending.user), "/offers", payload).status_code == 403
    assert post_json(login(elder.user), f"/offers/{offer_id}/withdraw").status_code == 403
    assert post_json(login(volunteer.user), f"/offers/{offer_id}/extend", {"days": 3}).status_code == 200
    assert post_json(login(volunteer.user), f"/offers/{offer_id}/withdraw").json()["status"] == "withdrawn"


def test_preferences_and_blocks_over_the_api(elder, volunteer, family_a, login, worker_a, post):
    client = login(family_a)
    body = post_json(
        client, f"/elders/{elder.pk}/preferences", {"volunteer_gender": "female"}, method="put"
    ).json()
    assert body["volunteer_gender"] == "female"
    assert (
        post_json(
            client, f"/elders/{elder.pk}/preferences", {"volunteer_gender": "x"}, method="put"
        ).status_code
        == 422
    )
    response = post_json(client, "/blocks", {"blocked_user_id": volunteer.user_id, "elder_id": elder.pk})
    assert response.status_code == 201
    assert Block.objects.get().blocker == elder.user
    assert (
        post_json(client, "/blocks", {"blocked_user_id": volunteer.user_id, "elder_id": elder.pk}).status_code
        == 409
    )
    listed = client.get(f"/api/v1/aid/blocks?elder_id={elder.pk}").json()
    assert listed[0]["blocked_id"] == volunteer.user_id
    assert client.delete(f"/api/v1/aid/blocks/{listed[0]['id']}").status_code == 204
    assert not Block.objects.exists()


def test_rules_over_the_api(district_staff, worker_a, login, futian):
    assert login(worker_a).get("/api/v1/aid/rules").json()["policy"]["checkin_radius_m"] == 200
    assert (
        post_json(login(worker_a), "/rules/policy", {"checkin_radius_m": 300}, method="put").status_code
        == 403
    )
    client = login(district_staff)
    bad = post_json(client, "/rules/policy", {"checkin_radius_m": 5, "max_rounds": 0}, method="put")
    assert bad.status_code == 422 and set(bad.json()["fields"]) == {"checkin_radius_m", "max_rounds"}
    assert not AidPolicy.objects.exists()
    ok = post_json(
        client, "/rules/policy", {"checkin_radius_m": 300, "require_insurance": True}, method="put"
    )
    assert ok.json()["checkin_radius_m"] == 300 and ok.json()["require_insurance"] is True
    row = post_json(
        client, "/rules/requirements/medical_escort", {"certifications": ["elder_care_basics"]}, method="put"
    ).json()
    assert row["certifications"] == ["elder_care_basics"]
    bad = post_json(
        client, "/rules/requirements/medical_escort", {"certifications": ["astronaut"]}, method="put"
    )
    assert bad.status_code == 422
    assert (
        login(district_staff).get("/api/v1/aid/rules").json()["requirements"][0]["category"]
        == "medical_escort"
    )


def test_contact_endpoint(elder, volunteer, post, login):
    req = post()
    client = login(volunteer.user)
    assert post_json(client, f"/requests/{req.pk}/contact").status_code == 403  # not accepted yet
    services.help_request_accept(actor=volunteer.user, request_id=req.pk)
    body = post_json(login(volunteer.user), f"/requests/{req.pk}/contact").json()
    assert body["phone"] == "13800138001"


def test_requests_list_is_scoped(elder, post, worker_a, worker_b, login, volunteer):
    req = post()
    run_timers()
    assert login(worker_a).get("/api/v1/aid/requests").json()["count"] == 1
    assert login(worker_b).get("/api/v1/aid/requests").json()["count"] == 0
    assert [r["id"] for r in login(volunteer.user).get("/api/v1/aid/requests").json()["items"]] == [req.pk]
    assert HelpRequest.objects.count() == 1


@pytest.mark.parametrize("path", ["/requests/999999", "/requests/999999/candidates"])
def test_unknown_request_is_404(worker_a, login, path):
    assert login(worker_a).get(f"/api/v1/aid{path}").status_code == 404


def test_feed_snapshot_matches_the_orm(elder, post, make_volunteer, worker_a, elder_b, worker_b):
    """The volunteer's snapshot feed returns exactly what the scoped ORM query returns."""
    from shiguang.aid import selectors

    volunteer = make_volunteer("对照", gender="male", lat=22.545, lng=114.08)
    no_base = make_volunteer("无位置", gender="female", lat=None, lng=None)
    services.preference_set(actor=worker_a, elder=elder, volunteer_gender="female")
    post(category="shopping")
    post(category="repair", urgency="this_week", start_at=clock.now() + dt.timedelta(days=3))
    services.preference_set(actor=worker_a, elder=elder, volunteer_gender="")
    post(category="meal", urgency="soon")
    for i, category in enumerate(("companionship", "digital_help", "outing")):
        services.help_request_create(
            actor=worker_b, elder=elder_b, category=category, description=str(i), urgency="anytime"
        )
    blocked = services.help_request_create(
        actor=worker_b, elder=elder_b, category="housework", description="", urgency="today"
    )
    services.help_request_assign(actor=worker_b, request_id=blocked.pk, volunteer_id=volunteer.pk)
    services.block_create(actor=volunteer.user, blocker=volunteer.user, blocked=elder_b.user)
    variants = [
        {},
        {"sort": "urgent"},
        {"sort": "newest"},
        {"sort": "soonest"},
        {"category": "repair"},
        {"urgency": "anytime"},
        {"within_km": 1.0},
        {"within_km": 10.0, "lat": 22.53, "lng": 114.03},
        {"limit": 2},
        {"limit": 2, "offset": 2},
        {"offset": 50},
    ]
    for user in (volunteer.user, no_base.user):
        for variant in variants:
            fast = selectors._feed_snapshot(user, selectors.FeedFilters(**variant))
            slow = selectors._feed_orm(user, selectors.FeedFilters(**variant))
            assert fast == slow, (user, variant)
    # He sees only the meal: two requests are for women volunteers, and he blocked 李伯.
    assert [i["category"] for i in selectors.feed(volunteer.user, selectors.FeedFilters()).items] == ["meal"]
    # She has no base location: everything takeable, nearest-first falls back to newest, no distances.
    page = selectors.feed(no_base.user, selectors.FeedFilters())
    assert page.count == 6 and all(i["distance_km"] is None for i in page.items)


def test_feed_response_matches_its_schema(elder, post, volunteer, login):
    from shiguang.aid.schemas import FeedOut

    post()
    body = login(volunteer.user).get("/api/v1/aid/feed").json()
    assert FeedOut.model_validate(body).count == 1


def test_feed_snapshot_staleness_is_bounded(elder, post, volunteer, make_volunteer, settings):
    from shiguang.aid import selectors

    req = post()
    other = make_volunteer("小周")
    assert selectors.feed(volunteer.user, selectors.FeedFilters()).count == 1
    services.help_request_accept(actor=other.user, request_id=req.pk)  # this process: seen at once
    assert selectors.feed(volunteer.user, selectors.FeedFilters()).count == 0
    again = post(category="repair")
    assert selectors.feed(volunteer.user, selectors.FeedFilters()).count == 1
    HelpRequest.objects.filter(pk=again.pk).update(status="accepted")  # as if another process took it
    assert selectors.feed(volunteer.user, selectors.FeedFilters()).count == 1  # stale for a moment ...
    settings.AID_FEED_SNAPSHOT_SECONDS = 0
    assert selectors.feed(volunteer.user, selectors.FeedFilters()).count == 0  # ... then fresh
