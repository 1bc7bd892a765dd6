"""KPIs from the timestamps: % acknowledged within 30/60/180 s against the targets; drills apart."""

from __future__ import annotations

import datetime as dt

from shiguang.core import clock
from shiguang.sos import selectors, services
from shiguang.sos.tests.conftest import T0


def _alarm(staffed, elder, ack_after, *, drill=False, outcome="fall", on_scene_after=None, actor=None):
    start = clock.now()
    actor = actor or staffed["worker"]
    alarm = services.alarm_trigger(actor=actor, elder=elder, source="worker", drill=drill)
    if ack_after is not None:
        clock.advance(dt.timedelta(seconds=ack_after))
        services.alarm_acknowledge(actor=actor, alarm_id=alarm.id)
        if on_scene_after is not None:
            clock.advance(dt.timedelta(seconds=on_scene_after - ack_after))
            services.alarm_on_scene(actor=actor, alarm_id=alarm.id)
        services.alarm_resolve(actor=actor, alarm_id=alarm.id, outcome=outcome)
    clock.advance(start + dt.timedelta(hours=1) - clock.now())
    return alarm


def test_kpis_per_community_street_district(staffed, elder_b, worker_b):
    elder = staffed["elder"]
    for ack in (10, 25, 45, 75, 200):
        _alarm(staffed, elder, ack, on_scene_after=600)
    _alarm(staffed, elder, 20, outcome="false_alarm")
    _alarm(staffed, elder, 5, drill=True)
    _alarm(staffed, elder_b, 50, actor=worker_b)
    data = selectors.kpis(
        staffed["worker"].__class__.objects.get(username="root"), days=30, level="community"
    )
    total = data["total"]
    assert total["alarms"] == 7 and total["settled"] == 7
    assert total["within_30"] == round(100 * 3 / 7, 1)
    assert total["within_60"] == round(100 * 5 / 7, 1)
    assert total["within_180"] == round(100 * 6 / 7, 1)
    assert total["median_on_scene_s"] == 600
    assert total["false_alarm_rate"] == round(100 / 7, 1)
    assert (
        total["meets_60"] is False and total["reviews"] == 0
    )  # reviews are opened by the worker, not run here
    units = {u["label"]: u for u in data["units"]}
    assert units["南园 · 测试甲"]["alarms"] == 6 and units["沙头 · 测试丙"]["within_60"] == 100.0
    assert [u["alarms"] for u in selectors.kpis(staffed["worker"], level="street")["units"]] == [6]  # scope
    drills = selectors.kpis(staffed["worker"], drill=True)["total"]
    assert drills["alarms"] == 1 and drills["within_30"] == 100.0


def test_unacknowledged_alarm_counts_against_the_target_once_its_window_passed(staffed):
    _alarm(staffed, staffed["elder"], None)
    assert selectors.kpis(staffed["worker"])["total"]["within_180"] == 0.0


def test_kpi_api_and_page_are_staff_only(staffed, login):
    _alarm(staffed, staffed["elder"], 12)
    staff = login(staffed["worker"])
    body = staff.get("/api/v1/sos/kpi?level=street").json()
    assert body["total"]["within_30"] == 100.0 and body["targets"] == {"within_60": 97.5, "within_180": 99.0}
    assert staff.get("/api/v1/sos/kpi?level=planet").status_code == 422
    assert "呼救响应指标" in staff.get("/sos/kpi/").content.decode()
    elder = login(staffed["elder"].user)
    assert elder.get("/api/v1/sos/kpi").status_code == 403


def test_frozen_start_is_t0(frozen):
    assert clock.now() == T0
