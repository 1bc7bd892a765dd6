"""Daily check-in (报平安): opt in, any activity counts, a miss alerts family and worker, repeats escalate."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from shiguang.core import clock
from shiguang.core.errors import Forbidden, ValidationFailed
from shiguang.notify.models import Notification
from shiguang.sos import services
from shiguang.sos.escalation import run_checkin_batch
from shiguang.sos.models import Alarm, CheckinMiss, DailyCheckin
from shiguang.sos.tests.conftest import T0, advance_to, no_writes

TEN = dt.time(10, 0)


def _run() -> int:
    total = 0
    while n := run_checkin_batch("w"):
        total += n
    return total


@pytest.fixture
def plan(staffed):
    return services.checkin_enroll(actor=staffed["elder"].user, elder=staffed["elder"], deadline=TEN)


def test_enrolling_sets_the_next_deadline(plan):
    assert plan.due_at == dt.datetime(2026, 3, 2, 10, 0, tzinfo=clock.SHANGHAI)


def test_checkin_once_a_day_from_any_source(staffed, plan):
    elder = staffed["elder"]
    first = services.checkin_record(actor=elder.user, elder=elder, source="button")
    again = services.checkin_record(actor=None, elder=elder, source="activity")
    assert first.pk == again.pk and DailyCheckin.objects.count() == 1
    advance_to(3600 * 2)  # 11:00, past the deadline
    assert _run() == 1
    plan.refresh_from_db()
    assert plan.miss_streak == 0 and plan.due_at.date() == dt.date(2026, 3, 3)
    assert (
        not CheckinMiss.objects.exists()
        and not Notification.objects.filter(template="sos.checkin.missed").exists()
    )


def test_a_miss_alerts_family_and_the_worker_on_duty(staffed, plan):
    advance_to(3600 + 1)
    assert _run() == 1
    miss = CheckinMiss.objects.get()
    assert miss.streak == 1 and miss.alarm is None
    told = set(
        Notification.objects.filter(template="sos.checkin.missed", channel="in_app").values_list(
            "recipient_id", flat=True
        )
    )
    assert told == {staffed["family"].pk, staffed["worker"].pk}
    assert not Alarm.objects.exists()


def test_a_late_checkin_tells_those_who_were_alerted(staffed, plan):
    advance_to(3600 + 1)
    _run()
    advance_to(3600 * 3)
    services.checkin_record(actor=staffed["elder"].user, elder=staffed["elder"], source="assistant")
    miss = CheckinMiss.objects.get()
    assert miss.resolved_at is not None
    assert Notification.objects.filter(template="sos.checkin.late", recipient=staffed["family"]).count() == 1


def test_repeated_misses_escalate_like_an_alarm_with_longer_deadlines(staffed, plan):
    advance_to(3600 + 1)
    _run()  # day 1 missed
    advance_to(3600 * 25 + 1)  # day 2, 10:00:01
    _run()
    alarm = Alarm.objects.get()
    assert alarm.source == "checkin" and alarm.deadline_scale == 10 and alarm.raised_by is None
    assert CheckinMiss.objects.get(date=dt.date(2026, 3, 3)).alarm == alarm
    # Checking in shows on the alarm, which a human still closes.
    services.checkin_record(actor=staffed["elder"].user, elder=staffed["elder"], source="button")
    assert alarm.events.filter(kind="checked_in").exists()
    alarm.refresh_from_db()
    assert alarm.status == "open"


def test_after_an_outage_old_days_are_recorded_not_alerted(staffed, plan):
    advance_to(3600 * 24 * 3 + 3600 + 1)  # three days later
    _run()
    assert CheckinMiss.objects.filter(alerted=False).count() == 3
    assert CheckinMiss.objects.filter(alerted=True).count() == 1


def test_who_may_check_in_for_an_elder(staffed, plan, worker_b, elder_b):
    elder = staffed["elder"]
    with no_writes(), pytest.raises(Forbidden):
        services.checkin_record(actor=worker_b, elder=elder, source="worker")
    with no_writes(), pytest.raises(ValidationFailed):
        services.checkin_record(actor=elder.user, elder=elder, source="carrier-pigeon")
    with pytest.raises(ValidationFailed):
        services.checkin_enroll(actor=elder.user, elder=elder, deadline=dt.time(3, 0))
    assert services.checkin_record(actor=staffed["family"], elder=elder, source="family").source == "family"


def test_signing_in_counts_as_activity(staffed, plan, client):
    from shiguang.conftest import PASSWORD

    with clock.frozen(T0 + dt.timedelta(minutes=5)):
        response = client.post("/accounts/login/", {"username": "13800138001", "password": PASSWORD})
    assert response.status_code == 302
    assert DailyCheckin.objects.get().source == "activity"


def test_checkin_api(staffed, plan, login):
    client = login(staffed["elder"].user)
    response = client.post(
        "/api/v1/sos/checkin", json.dumps({"source": "button"}), content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["date"] == "2026-03-02"
    staff = login(staffed["worker"])
    rows = staff.get("/api/v1/sos/checkin/plans").json()
    assert rows[0]["elder"] == "陈婆婆" and rows[0]["today"] == "checked"
