"""Every bad path of the issue: a clear 409/422 (or 403/404/429) with a message, and nothing written."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shiguang.aid import checkin, services
from shiguang.aid.models import CheckinFailure, HelpRequest, Invitation, Rating, ServiceRecord
from shiguang.aid.tests.conftest import in_hours, needs_timebank
from shiguang.core import clock
from shiguang.core.errors import Conflict, Forbidden, NotFound, RateLimited, ValidationFailed
from shiguang.core.models import AuditEvent


class Snapshot:
    """Counts of everything a service could write; equal before and after a refused call."""

    def __init__(self) -> None:
        from shiguang.aid.models import AidTimer, Dispute
        from shiguang.notify.models import Notification

        self.models = [
            HelpRequest,
            Invitation,
            Rating,
            ServiceRecord,
            Dispute,
            AidTimer,
            Notification,
            AuditEvent,
        ]
        self.before = self.take()

    def take(self) -> list[int]:
        return [m.objects.count() for m in self.models]

    def unchanged(self) -> bool:
        return self.take() == self.before


def api(client, path, payload=None):
    return client.post(f"/api/v1/aid{path}", json.dumps(payload or {}), content_type="application/json")


@pytest.fixture
def accepted(post, volunteer):
    req = post()
    return services.help_request_accept(actor=volunteer.user, request_id=req.pk)


@pytest.fixture
def in_service(accepted, volunteer, elder):
    code = checkin.current(elder).code
    return services.help_request_check_in(
        actor=volunteer.user, request_id=accepted.pk, method="code", code=code
    )


@pytest.fixture
def done(in_service, volunteer):
    return services.help_request_check_out(actor=volunteer.user, request_id=in_service.pk, summary="做完了")


# --- accepting a taken request ------------------------------------------------------------------------------


def test_accepting_a_taken_request_is_409_and_writes_nothing(accepted, make_volunteer, login):
    late = make_volunteer("小赵")
    snap = Snapshot()
    response = api(login(late.user), f"/requests/{accepted.pk}/accept")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "taken" and "已被其他志愿者接走" in body["message"]
    assert snap.unchanged()
    accepted.refresh_from_db()
    assert accepted.assignee.name == "小王"


def test_accepting_my_own_request_again_says_so(accepted, volunteer):
    with pytest.raises(Conflict) as exc:
        services.help_request_accept(actor=volunteer.user, request_id=accepted.pk)
    assert exc.value.code == "already_yours"


def test_non_volunteers_and_unverified_volunteers_cannot_accept(post, elder, make_volunteer):
    req = post()
    with pytest.raises(Forbidden):
        services.help_request_accept(actor=elder.user, request_id=req.pk)
    pending = make_volunteer("待核验", verified=False)
    snap = Snapshot()
    with pytest.raises(Forbidden) as exc:
        services.help_request_accept(actor=pending.user, request_id=req.pk)
    assert "核验" in str(exc.value.message)
    assert snap.unchanged()


# --- check-in and check-out ---------------------------------------------------------------------------------


def test_double_check_in_is_409(in_service, volunteer, elder, login):
    snap = Snapshot()
    response = api(
        login(volunteer.user),
        f"/requests/{in_service.pk}/check-in",
        {"method": "code", "code": checkin.current(elder).code},
    )
    assert response.status_code == 409 and response.json()["message"] == "已经签到过了。"
    assert snap.unchanged()


def test_check_out_without_check_in_is_409(accepted, volunteer, login):
    snap = Snapshot()
    response = login(volunteer.user).post(f"/api/v1/aid/requests/{accepted.pk}/check-out", {"summary": "x"})
    assert response.status_code == 409 and "还没有签到" in response.json()["message"]
    assert snap.unchanged()
    accepted.refresh_from_db()
    assert accepted.status == "accepted"


def test_double_check_out_is_409(done, volunteer):
    snap = Snapshot()
    with pytest.raises(Conflict) as exc:
        services.help_request_check_out(actor=volunteer.user, request_id=done.pk, summary="again")
    assert exc.value.code == "already_checked_out"
    assert snap.unchanged()


def test_check_out_needs_a_summary(in_service, volunteer):
    snap = Snapshot()
    with pytest.raises(ValidationFailed) as exc:
        services.help_request_check_out(actor=volunteer.user, request_id=in_service.pk, summary="  ")
    assert "summary" in exc.value.fields
    assert snap.unchanged()


def test_wrong_code_is_422_counted_and_changes_nothing(accepted, volunteer, login):
    snap = Snapshot()
    response = api(
        login(volunteer.user), f"/requests/{accepted.pk}/check-in", {"method": "code", "code": "000000"}
    )
    assert response.status_code == 422 and "签到码不正确" in response.json()["fields"]["code"][0]
    assert snap.unchanged()
    accepted.refresh_from_db()
    assert accepted.status == "accepted"
    assert CheckinFailure.objects.filter(request=accepted).count() == 1


def test_guessing_codes_is_stopped_after_five_tries(accepted, volunteer, elder):
    for guess in ("111111", "222222", "333333", "444444", "555555"):
        with pytest.raises(ValidationFailed):
            services.help_request_check_in(
                actor=volunteer.user, request_id=accepted.pk, method="code", code=guess
            )
    with pytest.raises(RateLimited):
        services.help_request_check_in(
            actor=volunteer.user, request_id=accepted.pk, method="code", code=checkin.current(elder).code
        )


def test_someone_elses_task_cannot_be_checked_in(accepted, make_volunteer, elder):
    other = make_volunteer("小赵")
    with pytest.raises(NotFound):  # not theirs and no longer in the square: looks missing
        services.help_request_check_in(
            actor=other.user, request_id=accepted.pk, method="code", code=checkin.current(elder).code
        )


def test_photo_must_be_a_small_image(in_service, volunteer, login):
    client = login(volunteer.user)
    snap = Snapshot()
    fake = SimpleUploadedFile("x.jpg", b"not an image at all", content_type="image/jpeg")
    response = client.post(
        f"/api/v1/aid/requests/{in_service.pk}/check-out", {"summary": "ok", "photo": fake}
    )
    assert response.status_code == 422 and "photo" in response.json()["fields"]
    big = SimpleUploadedFile(
        "big.jpg", b"\xff\xd8" + b"0" * (5 * 1024 * 1024 + 10), content_type="image/jpeg"
    )
    response = client.post(f"/api/v1/aid/requests/{in_service.pk}/check-out", {"summary": "ok", "photo": big})
    assert response.status_code == 422 and "5MB" in response.json()["fields"]["photo"][0]
    gif = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (10, 10)).save(gif, format="GIF")
    response = client.post(
        f"/api/v1/aid/requests/{in_service.pk}/check-out",
        {"summary": "ok", "photo": SimpleUploadedFile("a.gif", gif.getvalue(), content_type="image/gif")},
    )
    assert response.status_code == 422 and "JPG" in response.json()["fields"]["photo"][0]
    assert snap.unchanged()


def test_a_good_photo_is_stored_without_exif(in_service, volunteer, login):
    from PIL import Image

    raw = io.BytesIO()
    image = Image.new("RGB", (3000, 2000), "white")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    image.save(raw, format="JPEG", exif=exif)
    response = login(volunteer.user).post(
        f"/api/v1/aid/requests/{in_service.pk}/check-out",
        {
            "summary": "换了灯泡",
            "photo": SimpleUploadedFile("p.jpg", raw.getvalue(), content_type="image/jpeg"),
        },
    )
    assert response.status_code == 200 and response.json()["record"]["has_photo"] is True
    record = ServiceRecord.objects.get(request=in_service)
    with record.photo.open("rb") as fh, Image.open(fh) as stored:
        assert max(stored.size) == 1600 and not stored.getexif()


# --- confirming and posting hours ---------------------------------------------------------------------------


@needs_timebank
def test_confirming_twice_is_409_and_hours_are_posted_once(done, elder, login):
    from shiguang.timebank.models import LedgerTransaction

    client = login(elder.user)
    assert api(client, f"/requests/{done.pk}/confirm").status_code == 200
    snap = Snapshot()
    count = LedgerTransaction.objects.count()
    response = api(client, f"/requests/{done.pk}/confirm")
    assert response.status_code == 409 and response.json()["code"] == "already_confirmed"
    assert snap.unchanged() and LedgerTransaction.objects.count() == count


@needs_timebank
def test_posting_the_same_service_twice_returns_the_first_transaction(done, elder, volunteer):
    from shiguang.timebank.models import LedgerTransaction
    from shiguang.timebank.services import post_service

    req = services.help_request_confirm(actor=elder.user, request_id=done.pk)
    again = post_service(
        actor=elder.user,
        idempotency_key=f"aid:{req.pk}",
        provider=volunteer.user,
        receiver=elder.user,
        minutes=req.credited_minutes,
        category=req.category,
        source="aid",
    )
    assert str(again.pk) == req.ledger_transaction
    assert LedgerTransaction.objects.filter(idempotency_key=f"aid:{req.pk}").count() == 1


def test_confirming_before_check_out_is_409(in_service, elder):
    snap = Snapshot()
    with pytest.raises(Conflict) as exc:
        services.help_request_confirm(actor=elder.user, request_id=in_service.pk)
    assert exc.value.code == "not_done"
    assert snap.unchanged()


@pytest.mark.parametrize(
    ("minutes", "message"), [(0, "大于0"), (-30, "大于0"), (600, "8小时"), (400, "不能超过")]
)
def test_absurd_confirmed_minutes_are_422(done, elder, login, minutes, message):
    snap = Snapshot()
    response = api(login(elder.user), f"/requests/{done.pk}/confirm", {"minutes": minutes})
    assert response.status_code == 422
    assert message in response.json()["fields"]["minutes"][0]
    assert snap.unchanged()


def test_volunteer_cannot_confirm_their_own_service(done, volunteer):
    with pytest.raises(Forbidden):
        services.help_request_confirm(actor=volunteer.user, request_id=done.pk)


# --- posting ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"duration_minutes": 0}, "duration_minutes", "大于0"),
        ({"duration_minutes": -45}, "duration_minutes", "大于0"),
        ({"duration_minutes": 481}, "duration_minutes", "8小时"),
        ({"duration_minutes": 100000}, "duration_minutes", "8小时"),
        ({"category": "massage"}, "category", "哪类帮助"),
        ({"urgency": "yesterday"}, "urgency", "什么时候"),
        ({"category": "other", "description": ""}, "description", "说明"),
        ({"description": "长" * 501}, "description", "500"),
        ({"start_at": "2001-01-01T09:00:00+08:00"}, "start_at", "已经过去"),
        ({"end_at": "2031-01-01T09:00:00+08:00"}, "end_at", "开始时间"),
    ],
)
def test_bad_request_fields_are_422_and_nothing_is_written(elder, login, change, field, message):
    snap = Snapshot()
    payload = {"category": "shopping", "description": "买菜", "urgency": "today", **change}
    response = api(login(elder.user), "/requests", payload)
    assert response.status_code == 422, response.content
    assert any(message in m for m in response.json()["fields"][field])
    assert snap.unchanged()


def test_window_shorter_than_duration_is_422(elder, post):
    start = in_hours(5)
    with pytest.raises(ValidationFailed) as exc:
        post(start_at=start, end_at=start + dt.timedelta(minutes=30), duration_minutes=60)
    assert "duration_minutes" in exc.value.fields


def test_a_double_tap_does_not_post_twice(elder, post):
    post()
    with pytest.raises(Conflict) as exc:
        post()
    assert exc.value.code == "duplicate"
    assert HelpRequest.objects.count() == 1


def test_posting_for_an_elder_outside_ones_area_is_refused(elder, worker_b, login, volunteer):
    snap = Snapshot()
    response = api(
        login(worker_b), "/requests", {"elder_id": elder.pk, "category": "shopping", "urgency": "today"}
    )
    assert response.status_code == 403
    response = api(login(volunteer.user), "/requests", {"elder_id": elder.pk, "category": "shopping"})
    assert response.status_code == 403
    assert snap.unchanged()


# --- acting outside one's scope -----------------------------------------------------------------------------


def test_worker_of_another_community_sees_nothing_and_can_do_nothing(accepted, worker_b, login):
    client = login(worker_b)
    snap = Snapshot()
    assert client.get(f"/api/v1/aid/requests/{accepted.pk}").status_code == 404
    assert api(client, f"/requests/{accepted.pk}/cancel", {"reason": "x"}).status_code == 404
    assert api(client, f"/requests/{accepted.pk}/check-in", {"method": "worker"}).status_code == 404
    assert api(client, f"/requests/{accepted.pk}/release", {"reason": "x"}).status_code == 404
    assert snap.unchanged()


def test_other_elders_and_families_cannot_touch_a_request(post, elder_b, system, login):
    from shiguang.accounts import services as account_services

    req = post()
    stranger = account_services.user_create(
        actor=system, role="family", display_name="路人", phone="13911139111"
    )
    for user in (elder_b.user, stranger):
        client = login(user)
        assert client.get(f"/api/v1/aid/requests/{req.pk}").status_code == 404
        assert api(client, f"/requests/{req.pk}/cancel", {"reason": "x"}).status_code == 404


def test_volunteer_cannot_cancel_the_elders_request(post, volunteer, login):
    req = post()
    response = api(login(volunteer.user), f"/requests/{req.pk}/cancel", {"reason": "不想去"})
    assert response.status_code == 403


def test_cancel_needs_a_reason_and_a_state_that_allows_it(post, in_service, elder, login):
    client = login(elder.user)
    response = api(client, f"/requests/{in_service.pk}/cancel", {"reason": "  "})
    assert response.status_code == 422 and "reason" in response.json()["fields"]
    response = api(client, f"/requests/{in_service.pk}/cancel", {"reason": "不要了"})
    assert response.status_code == 409 and "服务已开始" in response.json()["message"]


# --- ratings and disputes -----------------------------------------------------------------------------------


def test_rating_rules(done, elder, volunteer, accepted):
    snap = Snapshot()
    for bad in (0, 6, -1):
        with pytest.raises(ValidationFailed):
            services.rating_submit(actor=elder.user, request_id=done.pk, score=bad)
    assert snap.unchanged()
    services.rating_submit(actor=elder.user, request_id=done.pk, score=5)
    with pytest.raises(Conflict) as exc:
        services.rating_submit(actor=elder.user, request_id=done.pk, score=4)
    assert exc.value.code == "already_rated"
    assert Rating.objects.count() == 1


def test_rating_before_the_visit_is_409(accepted, elder):
    with pytest.raises(Conflict):
        services.rating_submit(actor=elder.user, request_id=accepted.pk, score=5)


def test_a_second_dispute_is_409(done, elder, volunteer):
    services.dispute_open(actor=elder.user, request_id=done.pk, reason="时长不对")
    with pytest.raises(Conflict):
        services.dispute_open(actor=volunteer.user, request_id=done.pk, reason="我有异议")


def test_only_the_area_worker_resolves_disputes(done, elder, worker_b, volunteer):
    dispute = services.dispute_open(actor=elder.user, request_id=done.pk, reason="时长不对")
    with pytest.raises(NotFound):
        services.dispute_resolve(actor=worker_b, dispute_id=dispute.pk, outcome="credit", note="x")
    with pytest.raises(Forbidden):
        services.dispute_resolve(actor=volunteer.user, dispute_id=dispute.pk, outcome="no_credit", note="x")


def test_dispute_credit_above_the_limit_is_422(done, elder, worker_a):
    dispute = services.dispute_open(actor=elder.user, request_id=done.pk, reason="时长不对")
    snap = Snapshot()
    with pytest.raises(ValidationFailed):
        services.dispute_resolve(
            actor=worker_a, dispute_id=dispute.pk, outcome="credit", note="x", minutes=9999
        )
    assert snap.unchanged()


def test_past_start_time_check_for_no_show(post, volunteer, elder):
    req = post(urgency="soon", start_at=in_hours(20))
    services.help_request_accept(actor=volunteer.user, request_id=req.pk)
    with pytest.raises(Conflict) as exc:
        services.help_request_no_show(actor=elder.user, request_id=req.pk, reason="没来")
    assert "还没到" in str(exc.value.message)
    with clock.frozen(req.start_at + dt.timedelta(hours=1)):
        services.help_request_no_show(actor=elder.user, request_id=req.pk, reason="没来")
