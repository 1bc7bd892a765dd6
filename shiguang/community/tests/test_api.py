"""The JSON API: the same rules and messages as the pages, the declared status codes, nothing half-written."""

from __future__ import annotations

import datetime as dt
import json

from shiguang.community.models import Activity, CaseStory, Course, OutreachVisit, Signup
from shiguang.core import clock


def post(client, url, payload=None):
    return client.post(url, json.dumps(payload or {}), content_type="application/json")


API = "/api/v1/community"


def test_elder_lists_activities_near_and_signs_up_then_waitlist_then_duplicate(
    make_activity, elder_a, make_elders, login
):
    activity = make_activity(capacity=1, tags=["八段锦"])
    (other,) = make_elders(1)
    client = login(other.user)
    assert post(client, f"{API}/activities/{activity.id}/signups").status_code == 201
    client = login(elder_a.user)
    rows = client.get(f"{API}/activities", {"keyword": "八段锦"}).json()
    assert [r["id"] for r in rows] == [activity.id] and rows[0]["seats_left"] == 0
    response = post(client, f"{API}/activities/{activity.id}/signups")
    assert response.status_code == 201
    body = response.json()
    assert body["signup"]["status"] == "waitlisted" and body["signup"]["waitlist_position"] == 1
    assert "名额已满" in body["message"]
    again = post(client, f"{API}/activities/{activity.id}/signups")
    assert again.status_code == 409 and again.json()["code"] == "already_signed_up"
    assert Signup.objects.count() == 2
    mine = client.get(f"{API}/signups").json()
    assert [s["status"] for s in mine] == ["waitlisted"]
    cancel = post(client, f"{API}/signups/{mine[0]['id']}/cancel", {"reason": "有事"})
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"


def test_worker_signs_up_an_elder_by_id_and_the_assistant_channel(
    make_activity, elder_a, worker_a, elder_b, login
):
    activity = make_activity()
    client = login(worker_a)
    response = post(
        client, f"{API}/activities/{activity.id}/signups", {"elder_id": elder_a.id, "channel": "assistant"}
    )
    assert response.status_code == 201 and response.json()["signup"]["channel"] == "assistant"
    assert (
        post(client, f"{API}/activities/{activity.id}/signups", {"elder_id": elder_b.id}).status_code == 404
    )
    roster = client.get(f"{API}/activities/{activity.id}/signups").json()
    assert [r["elder"] for r in roster] == ["陈婆婆"]
    # An elder cannot read the roster.
    assert login(elder_a.user).get(f"{API}/activities/{activity.id}/signups").status_code == 403


def test_checkin_outside_the_window_is_422_with_a_clear_message(make_activity, elder_a, login):
    activity = make_activity()
    client = login(elder_a.user)
    post(client, f"{API}/activities/{activity.id}/signups")
    response = post(client, f"{API}/checkin", {"code": activity.checkin_code})
    assert response.status_code == 422
    assert response.json()["code"] == "outside_checkin_window"
    assert "不在签到时间内" in response.json()["message"]
    assert Signup.objects.get().checked_in_at is None
    with clock.frozen(activity.start_at):
        ok = post(client, f"{API}/checkin", {"code": activity.checkin_code})
    assert ok.status_code == 200 and ok.json()["checkin_method"] == "qr"


def test_staff_publish_activity_and_series_and_bad_input(worker_a, station, login):
    client = login(worker_a)
    start = clock.now() + dt.timedelta(days=2)
    good = {
        "facility_id": station.id,
        "title": "健康讲座：防跌倒",
        "kind": "health_talk",
        "start_at": start.isoformat(),
        "end_at": (start + dt.timedelta(hours=1)).isoformat(),
        "capacity": 40,
        "tags": ["讲座", "防跌倒"],
    }
    created = post(client, f"{API}/activities", good)
    assert created.status_code == 201 and created.json()["seats_left"] == 40
    bad = post(client, f"{API}/activities", {**good, "capacity": 0, "kind": "rave"})
    assert bad.status_code == 422 and set(bad.json()["fields"]) == {"capacity", "kind"}
    assert Activity.objects.count() == 1
    series = post(
        client,
        f"{API}/series",
        {
            "facility_id": station.id,
            "title": "书法班",
            "kind": "culture",
            "weekday": 1,
            "start_time": "14:30",
            "duration_minutes": 90,
            "capacity": 12,
            "starts_on": clock.today().isoformat(),
        },
    )
    assert series.status_code == 201 and series.json()["occurrences"] == 4
    qr = client.get(f"{API}/activities/{created.json()['id']}/checkin-qr").json()
    assert qr["svg"].startswith("<svg") and qr["url"].endswith(f"/community/c/{qr['code']}/")


def test_outreach_unknown_household_api(worker_a, elder_b, login):
    client = login(worker_a)
    response = post(
        client,
        f"{API}/outreach",
        {"visited_on": clock.today().isoformat(), "outcome": "informed", "elder_id": elder_b.id},
    )
    assert response.status_code == 422 and response.json()["code"] == "unknown_household"
    assert "不在您的辖区" in response.json()["fields"]["elder_id"][0]
    assert not OutreachVisit.objects.exists()
    ok = post(
        client,
        f"{API}/outreach",
        {
            "visited_on": clock.today().isoformat(),
            "outcome": "interested",
            "household_address": "测试路3号",
            "interest_homeshare": True,
        },
    )
    assert ok.status_code == 201 and ok.json()["household"].endswith("****")
    visit_id = ok.json()["id"]
    screening = post(
        client,
        f"{API}/outreach/{visit_id}/screening",
        {
            "answers": {
                "living": "alone",
                "age_band": "70_79",
                "self_care": "independent",
                "homeshare": "yes",
                "mutual_aid": "no",
                "sos_device": "no",
            }
        },
    )
    assert screening.status_code == 200 and screening.json()["priority"] == "medium"
    funnel = client.get(f"{API}/outreach/funnel").json()
    assert funnel["total"]["visited"] == 1 and funnel["total"]["screened"] == 1
    assert len(client.get(f"{API}/screening/questions").json()) >= 10


def test_training_api_flow(courses, worker_a, approved_volunteer, station, login):
    course = Course.objects.get(code="anti-fraud")
    start = clock.now() + dt.timedelta(days=1)
    client = login(worker_a)
    session = post(
        client,
        f"{API}/sessions",
        {
            "course_id": course.id,
            "facility_id": station.id,
            "start_at": start.isoformat(),
            "end_at": (start + dt.timedelta(hours=2)).isoformat(),
            "capacity": 20,
            "trainer_name": "派出所 李警官",
        },
    ).json()
    volunteer = login(approved_volunteer.user)
    enrollment = post(volunteer, f"{API}/sessions/{session['id']}/enrollments")
    assert enrollment.status_code == 201
    client = login(worker_a)
    with clock.frozen(start + dt.timedelta(hours=1)):
        marked = post(
            client,
            f"{API}/enrollments/{enrollment.json()['id']}/mark",
            {"attended": True, "result": "passed"},
        )
        assert marked.status_code == 200 and marked.json()["certification_id"]
        certs = login(approved_volunteer.user).get(f"{API}/certifications").json()
        assert [c["kind"] for c in certs] == ["anti_fraud"] and certs[0]["status"] == "valid"
        gates = (
            login(worker_a)
            .get(f"{API}/volunteers/{approved_volunteer.id}/gates", {"kinds": "anti_fraud,fall_response"})
            .json()
        )
    assert gates["has_certifications"] is False and gates["missing"] == ["fall_response"]


def test_rules_api_is_for_district_staff(worker_a, district_staff, login):
    denied = login(worker_a).put(
        f"{API}/rules/insurance_required_for_home_visits",
        json.dumps({"value": True}),
        content_type="application/json",
    )
    assert denied.status_code == 403
    ok = login(district_staff).put(
        f"{API}/rules/insurance_required_for_home_visits",
        json.dumps({"value": True}),
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["value"] is True


def test_cases_api_masks_for_everyone(worker_a, street_staff, elder_a, login):
    client = login(worker_a)
    created = post(
        client,
        f"{API}/cases",
        {
            "title": "陈婆婆的新朋友",
            "kind": "activity",
            "summary": "陈婆婆参加粤剧社后更开朗了。",
            "person_ids": [elder_a.user_id],
        },
    )
    assert created.status_code == 201 and created.json()["title"] == "陈某的新朋友"
    case_id = created.json()["id"]
    assert post(client, f"{API}/cases/{case_id}/submit").status_code == 200
    assert post(client, f"{API}/cases/{case_id}/review", {"approve": True}).status_code == 403
    assert post(login(street_staff), f"{API}/cases/{case_id}/review", {"approve": True}).status_code == 200
    public = login(elder_a.user).get(f"{API}/cases").json()
    assert [c["title"] for c in public] == ["陈某的新朋友"]
    assert CaseStory.objects.get().status == "published"


def test_openapi_schema_builds(client):
    schema = client.get("/api/v1/openapi.json").json()
    paths = [p for p in schema["paths"] if p.startswith(f"{API}/")]
    assert f"{API}/activities/{{activity_id}}/signups" in paths and len(paths) > 40
    signup = schema["paths"][f"{API}/activities/{{activity_id}}/signups"]["post"]["responses"]
    assert {"201", "401", "403", "404", "409", "422", "429"} <= set(signup)
