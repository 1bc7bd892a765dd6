"""Escalation, frozen clock: tiers by deadline, earlier tiers stay notified, acknowledgement stops it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from shiguang.notify.models import Notification
from shiguang.sos import services
from shiguang.sos.escalation import process_steps, run_batch
from shiguang.sos.models import AlarmEvent, AlarmResponder, EscalationStep, IncidentReview
from shiguang.sos.tests.conftest import T0, advance_to, run_worker


def _raise(staffed, **kwargs):
    elder = staffed["elder"]
    return services.alarm_trigger(actor=elder.user, elder=elder, source="button", **kwargs)


def _notified(alarm, tier):
    return {r.user_id for r in AlarmResponder.objects.filter(alarm=alarm, tier=tier)}


def test_tier_one_is_the_nearest_trained_volunteers_on_call(staffed, volunteer_a):
    alarm = _raise(staffed)
    assert run_worker() == 1
    responders = list(AlarmResponder.objects.filter(alarm=alarm).order_by("distance_m"))
    assert [r.user_id for r in responders] == [staffed["near"].user_id, staffed["far"].user_id]
    assert responders[0].distance_m < responders[1].distance_m <= 3000
    assert staffed["untrained"].user_id not in _notified(alarm, 1)  # no responder training
    assert volunteer_a.user_id not in _notified(alarm, 1)  # not on call
    keys = set(
        Notification.objects.filter(recipient=staffed["near"].user).values_list("dedupe_key", "channel")
    )
    assert keys == {
        (f"sos:{alarm.id}:t1:u{staffed['near'].user_id}", "local_sink"),
        (f"sos:{alarm.id}:t1:u{staffed['near'].user_id}:in_app", "in_app"),
    }
    assert Notification.objects.filter(priority=0).count() == 4
    alarm.refresh_from_db()
    assert alarm.current_tier == 1 and alarm.status == "open"
    nxt = EscalationStep.objects.get(alarm=alarm, kind="notify", tier=2)
    assert nxt.due_at == T0 + dt.timedelta(seconds=30) and nxt.done_at is None


def test_no_ack_walks_every_tier_on_its_deadline_and_keeps_earlier_tiers(staffed):
    alarm = _raise(staffed)
    run_worker()
    advance_to(29)
    assert run_worker() == 0  # tier 2 not due yet
    advance_to(30)
    assert run_worker() == 1
    assert _notified(alarm, 2) == {staffed["worker"].pk}
    advance_to(60)
    run_worker()
    assert _notified(alarm, 3) == {staffed["family"].pk}
    contact_note = Notification.objects.get(dedupe_key=f"sos:{alarm.id}:t3:c{staffed['contact'].pk}")
    assert (
        contact_note.recipient_id == staffed["elder"].user_id
        and contact_note.data["contact_id"] == staffed["contact"].pk
    )
    assert "13600136001" not in str(contact_note.data)  # the number is never copied into the outbox
    advance_to(120)
    run_worker()
    assert _notified(alarm, 4) == {staffed["officer"].pk}
    assert AlarmEvent.objects.filter(alarm=alarm, kind="hotline").exists()
    # Earlier tiers stay notified; nobody was dropped or notified twice in the same tier.
    assert AlarmResponder.objects.filter(alarm=alarm).count() == 5
    advance_to(180)
    run_worker()  # the last tier's deadline passed: everyone is reminded
    repeat = EscalationStep.objects.get(alarm=alarm, kind="repeat", tier=5)
    assert repeat.done_at == T0 + dt.timedelta(seconds=180)
    assert Notification.objects.filter(dedupe_key__startswith=f"sos:{alarm.id}:t5:u").count() == 2 * 5
    alarm.refresh_from_db()
    assert alarm.current_tier == 4 and alarm.status == "open"


def test_acknowledging_cancels_pending_steps(staffed):
    alarm = _raise(staffed)
    run_worker()
    advance_to(12)
    services.alarm_acknowledge(actor=staffed["near"].user, alarm_id=alarm.id)
    advance_to(500)
    assert run_worker() == 0
    pending = EscalationStep.objects.filter(alarm=alarm, done_at__isnull=True)
    assert not pending.exists()
    assert EscalationStep.objects.get(alarm=alarm, tier=2).cancelled
    assert not IncidentReview.objects.exists()  # acknowledged in 12 s
    assert set(AlarmResponder.objects.filter(alarm=alarm).values_list("tier", flat=True)) == {1}


def test_an_empty_tier_escalates_at_once(staffed):
    from shiguang.sos.models import DutyShift

    DutyShift.objects.filter(role="volunteer").update(cancelled_at=T0)
    alarm = _raise(staffed)
    run_worker()  # tier 1 has nobody -> tier 2 is due immediately and runs in the same pass
    assert _notified(alarm, 2) == {staffed["worker"].pk}
    assert AlarmEvent.objects.filter(alarm=alarm, kind="no_recipients").exists()


def test_worker_roster_falls_back_to_every_worker_of_the_community(staffed, futian, system):
    from shiguang.accounts import services as account_services
    from shiguang.sos.models import DutyShift

    other = account_services.user_create(
        actor=system, role="community_worker", display_name="社工乙", username="w2", community=futian["a"]
    )
    DutyShift.objects.filter(role="worker").update(cancelled_at=T0)
    alarm = _raise(staffed)
    run_worker()
    advance_to(30)
    run_worker()
    assert _notified(alarm, 2) == {staffed["worker"].pk, other.pk}


def test_incident_review_opens_when_not_acknowledged_in_90_seconds(staffed):
    alarm = _raise(staffed)
    for second in (0, 30, 60, 90):
        advance_to(second)
        run_worker()
    review = IncidentReview.objects.get(alarm=alarm)
    assert review.status == "open" and review.ack_seconds is None
    assert Notification.objects.filter(
        recipient=staffed["officer"],
        template="sos.review.opened",
        dedupe_key=f"sos:{alarm.id}:review:u{staffed['officer'].pk}",
    ).exists()
    advance_to(100)
    services.alarm_acknowledge(actor=staffed["worker"], alarm_id=alarm.id)
    review.refresh_from_db()
    assert review.ack_seconds == 100


def test_late_review_check_still_judges_by_the_acknowledgement_time(staffed):
    alarm = _raise(staffed)
    advance_to(95)
    services.alarm_acknowledge(actor=staffed["worker"], alarm_id=alarm.id)  # late, worker not yet run
    run_worker()
    assert IncidentReview.objects.get(alarm=alarm).ack_seconds == 95


def test_a_crashed_step_is_rerun_without_duplicate_notifications(staffed):
    alarm = _raise(staffed)
    step = EscalationStep.objects.get(alarm=alarm, tier=1)

    class Crash(Exception):
        pass

    with pytest.raises(Crash), transaction.atomic():
        process_steps([step], "doomed")
        raise Crash  # the process dies before commit
    step = EscalationStep.objects.get(pk=step.pk)
    assert step.done_at is None and not Notification.objects.exists()
    assert run_batch("survivor") == 1
    step.refresh_from_db()
    assert step.claimed_by == "survivor" and step.done_at == T0
    keys = list(Notification.objects.values_list("dedupe_key", flat=True))
    assert len(keys) == len(set(keys)) == 4


def test_a_failing_step_backs_off_and_does_not_block_others(staffed, elder_b, worker_b, monkeypatch):
    first = _raise(staffed)
    second = services.alarm_trigger(actor=worker_b, elder=elder_b, source="worker")
    import shiguang.sos.escalation as engine

    real = engine._run_notify

    def flaky(batch, step, alarm):
        if alarm.pk == first.pk:
            raise RuntimeError("boom")
        return real(batch, step, alarm)

    monkeypatch.setattr(engine, "_run_notify", flaky)
    run_worker()
    assert EscalationStep.objects.get(alarm=second, tier=1).done_at is not None
    assert AlarmResponder.objects.filter(alarm=second).exists()
    failed = EscalationStep.objects.get(alarm=first, tier=1)
    assert failed.done_at is None and failed.claimed_until == T0 + dt.timedelta(seconds=5)
    assert not Notification.objects.filter(dedupe_key__startswith=f"sos:{first.id}:").exists()
    monkeypatch.setattr(engine, "_run_notify", real)
    advance_to(6)
    run_worker()
    failed.refresh_from_db()
    assert failed.done_at is not None


def test_two_tiers_due_together_run_in_order_in_one_batch(staffed):
    alarm = _raise(staffed)
    advance_to(75)  # the worker was down: tier 1 and the review check are overdue together
    run_worker()
    done = EscalationStep.objects.filter(alarm=alarm, kind="notify", done_at__isnull=False)
    assert sorted(done.values_list("tier", flat=True)) == [1, 2, 3]  # the overdue tiers, caught up
    assert EscalationStep.objects.get(alarm=alarm, tier=4, done_at__isnull=True).due_at == T0 + dt.timedelta(
        seconds=120
    )
    assert AlarmResponder.objects.filter(alarm=alarm).count() == 4  # 2 volunteers, worker, family


def test_drill_messages_say_drill(staffed):
    alarm = services.alarm_trigger(
        actor=staffed["worker"], elder=staffed["elder"], source="worker", drill=True
    )
    run_worker()
    assert set(
        Notification.objects.filter(dedupe_key__startswith=f"sos:{alarm.id}:").values_list(
            "template", flat=True
        )
    ) == {"sos.alarm.drill"}


def test_checkin_alarms_use_the_policy_factor(staffed):
    alarm = services.alarm_trigger(actor=None, elder=staffed["elder"], source="checkin", deadline_scale=10)
    run_worker()
    assert EscalationStep.objects.get(alarm=alarm, tier=2).due_at == T0 + dt.timedelta(seconds=300)
    assert EscalationStep.objects.get(alarm=alarm, kind="review").due_at == T0 + dt.timedelta(seconds=900)
