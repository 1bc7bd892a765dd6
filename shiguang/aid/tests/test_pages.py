"""Every page of the square renders for the people who use it, and the elder's common case takes three
taps."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from shiguang.aid import checkin, services
from shiguang.aid.models import HelpRequest
from shiguang.aid.tests.conftest import needs_timebank, run_timers
from shiguang.core import clock
from shiguang.core.home import tiles_for


def text(response) -> str:
    return response.content.decode()


def test_home_tiles_per_role(elder, volunteer, worker_a, district_staff):
    labels = [str(t.label) for t in tiles_for(elder.user)]
    assert "我要求助" in labels and "我的求助" in labels
    assert "互助广场" in [str(t.label) for t in tiles_for(volunteer.user)]
    assert "派单台" in [str(t.label) for t in tiles_for(worker_a)]
    assert "互助派单规则" in [str(t.label) for t in tiles_for(district_staff)]


def test_home_pages_show_the_tiles(elder, volunteer, worker_a, login):
    assert "我要求助" in text(login(elder.user).get("/"))
    assert "互助广场" in text(login(volunteer.user).get("/"))
    assert "派单台" in text(login(worker_a).get("/"))


def test_elder_posts_in_three_taps(elder, login):
    client = login(elder.user)
    page = text(client.get("/aid/post/"))  # tap 1: a category
    assert "需要什么帮助" in page and 'href="?category=shopping"' in page
    page = text(client.get("/aid/post/?category=shopping"))  # tap 2: when
    assert "today" in page and "明天上午" in page
    page = text(client.get("/aid/post/?category=shopping&when=today"))
    assert "确认求助" in page
    form = re.search(r'<form method="post" action="(\?[^"]+)"', page).group(1).replace("&amp;", "&")
    response = client.post("/aid/post/" + form, {"duration_minutes": "60"})  # tap 3: confirm (defaults)
    req = HelpRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/aid/requests/{req.pk}/"
    assert (req.category, req.urgency, req.duration_minutes, req.place_kind) == (
        "shopping",
        "today",
        60,
        "home",
    )
    assert "正在为您寻找附近的志愿者" in text(client.get(response["Location"]))


def test_tomorrow_morning_sets_a_time_and_custom_time_needs_one(elder, login):
    client = login(elder.user)
    client.post(
        "/aid/post/?category=medical_escort&when=tomorrow_am",
        {"duration_minutes": "180", "place": "福田医院"},
    )
    req = HelpRequest.objects.get()
    assert req.urgency == "soon" and req.start_at.astimezone(clock.SHANGHAI).hour == 9
    response = client.post("/aid/post/?category=repair&when=custom", {"duration_minutes": "60"})
    assert response.status_code == 200 and "请选择开始时间" in text(response)


def test_worker_picks_the_elder_first(elder, worker_a, login):
    client = login(worker_a)
    page = text(client.get("/aid/post/"))
    assert "陈婆婆" in page and f"?elder={elder.pk}" in page
    page = text(client.get(f"/aid/post/?elder={elder.pk}"))
    assert "为 陈婆婆 发布" in page


def test_family_with_one_elder_goes_straight_to_categories(elder, family_a, login):
    page = text(login(family_a).get("/aid/post/"))
    assert "需要什么帮助" in page and "为 陈婆婆 发布" in page


def test_square_lists_filters_and_accepts_with_htmx(elder, volunteer, post, login):
    req = post()
    post(category="repair", description="修水龙头")
    client = login(volunteer.user)
    page = text(client.get("/aid/"))
    assert "互助广场" in page and "共 2 条求助" in page and "距您约" in page
    partial = client.get("/aid/?category=repair", HTTP_HX_REQUEST="true")
    assert "修水龙头" in text(partial) and "帮忙买菜" not in text(partial) and "<html" not in text(partial)
    response = client.post(f"/aid/requests/{req.pk}/accept/", {"from": "square"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "接单成功" in text(response)
    again = client.post(f"/aid/requests/{req.pk}/accept/", {"from": "square"}, HTTP_HX_REQUEST="true")
    assert again.status_code == 409 and "已经接下" in text(again)


def test_elders_are_sent_to_their_own_requests(elder, login):
    assert login(elder.user).get("/aid/")["Location"] == "/aid/mine/"


def test_detail_shows_the_actions_of_each_state(elder, volunteer, post, login, worker_a):
    req = post()
    volunteer_client = login(volunteer.user)
    page = text(volunteer_client.get(f"/aid/requests/{req.pk}/"))
    assert "我来帮忙" in page and "陈**" in page  # surname only before accepting
    volunteer_client.post(f"/aid/requests/{req.pk}/accept/")
    page = text(volunteer_client.get(f"/aid/requests/{req.pk}/"))
    assert "到达后签到" in page and "输入签到码签到" in page and "用手机定位签到" in page and "陈婆婆" in page
    elder_page = text(login(elder.user).get(f"/aid/requests/{req.pk}/"))
    assert "志愿者到了，请出示签到码" in elder_page and "<svg" in elder_page
    code = checkin.current(elder).code
    assert code in elder_page
    response = login(volunteer.user).post(
        f"/aid/requests/{req.pk}/check-in/", {"method": "code", "code": code}
    )
    assert response.status_code == 302
    page = text(login(volunteer.user).get(f"/aid/requests/{req.pk}/"))
    assert "服务结束，签退" in page and 'enctype="multipart/form-data"' in page
    login(volunteer.user).post(f"/aid/requests/{req.pk}/check-out/", {"summary": "买好了"})
    page = text(login(elder.user).get(f"/aid/requests/{req.pk}/"))
    assert "服务做好了吗" in page and "买好了" in page


def test_wrong_code_on_the_page_is_a_clear_message(elder, volunteer, post, login):
    req = post()
    services.help_request_accept(actor=volunteer.user, request_id=req.pk)
    client = login(volunteer.user)
    response = client.post(
        f"/aid/requests/{req.pk}/check-in/",
        {"method": "code", "code": "123456"},
        HTTP_REFERER=f"http://testserver/aid/requests/{req.pk}/",
    )
    assert response.status_code == 302
    assert "签到码不正确" in text(client.get(response["Location"]))
    response = client.post(f"/aid/requests/{req.pk}/check-in/", {"method": "code", "code": "123456"})
    assert response.status_code == 422 and "签到码不正确" in text(response)


@needs_timebank
def test_elder_confirms_and_rates_on_the_page(elder, volunteer, post, login):
    req = post()
    services.help_request_accept(actor=volunteer.user, request_id=req.pk)
    services.help_request_check_in(
        actor=volunteer.user, request_id=req.pk, method="code", code=checkin.current(elder).code
    )
    services.help_request_check_out(actor=volunteer.user, request_id=req.pk, summary="买好了")
    client = login(elder.user)
    client.post(f"/aid/requests/{req.pk}/confirm/", {"minutes": "30"})
    req.refresh_from_db()
    assert req.status == "confirmed" and req.credited_minutes == 30
    page = text(client.get(f"/aid/requests/{req.pk}/"))
    assert "给志愿者打个分" in page
    client.post(f"/aid/requests/{req.pk}/rate/", {"score": "5", "comment": "谢谢小王"})
    assert "5 ★" in text(client.get(f"/aid/requests/{req.pk}/"))


def test_scan_page_checks_in_with_the_qr_token(elder, volunteer, post, login):
    req = post()
    services.help_request_accept(actor=volunteer.user, request_id=req.pk)
    token = checkin.current(elder).token
    client = login(volunteer.user)
    page = text(client.get(f"/aid/scan/?t={token}"))
    assert "确认签到" in page and "陈婆婆" in page
    client.post("/aid/scan/", {"token": token})
    req.refresh_from_db()
    assert req.status == "in_service" and req.checkin_method == "qr"


def test_code_page_for_elder_family_and_worker_but_not_volunteers(
    elder, family_a, worker_a, volunteer, login
):
    for user in (elder.user, family_a, worker_a):
        page = text(login(user).get(f"/aid/elders/{elder.pk}/code/"))
        assert "<svg" in page and 'role="img"' in page and checkin.current(elder).code in page
    assert login(volunteer.user).get(f"/aid/elders/{elder.pk}/code/").status_code == 404
    old = checkin.current(elder).code
    login(elder.user).post(f"/aid/elders/{elder.pk}/code/")
    assert not checkin.verify_code(elder, old)


def test_volunteer_tasks_and_offers(elder, volunteer, post, login):
    req = post()
    run_timers()
    client = login(volunteer.user)
    page = text(client.get("/aid/tasks/"))
    assert "等您答复的邀请" in page and "代购" in page
    page = text(client.get("/aid/offers/"))
    assert "发布服务意向" in page
    response = client.post(
        "/aid/offers/",
        {
            "categories": ["shopping"],
            "available_from": "2030-01-01T09:00",
            "available_to": "2030-01-03T18:00",
            "radius_km": "2",
            "place": "南园",
            "note": "",
        },
    )
    assert response.status_code == 302
    assert "南园" in text(client.get("/aid/offers/"))
    assert req.pk


def test_elder_browses_offers_and_invites(elder, volunteer, post, login):
    now = clock.now()
    offer = services.offer_create(
        actor=volunteer.user,
        categories=["shopping"],
        available_from=now,
        available_to=now + dt.timedelta(days=2),
    )
    req = post()
    client = login(elder.user)
    page = text(client.get("/aid/offers/browse/"))
    assert "小王" in page and "请TA帮忙" in page
    response = client.post("/aid/offers/browse/", {"offer": offer.pk, "request": req.pk})
    assert response.status_code == 302
    assert req.invitations.filter(volunteer=volunteer).exists()


def test_console_ranks_with_factor_breakdown_and_assigns(elder, volunteer, post, worker_a, login):
    req = post()
    client = login(worker_a)
    page = text(client.get("/aid/console/"))
    assert "派单台" in page and "无人接单" in page and "陈婆婆" in page
    page = text(client.get(f"/aid/console/{req.pk}/"))
    assert "候选志愿者" in page and "小王" in page
    for label in ("距离", "技能", "时间", "评价", "负荷", "语言", "熟人"):
        assert label in page
    page = text(client.get(f"/aid/console/{req.pk}/?q=小王"))
    assert "得分" in page
    response = client.post(f"/aid/console/{req.pk}/", {"action": "assign", "volunteer_id": volunteer.pk})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.assignee == volunteer


def test_console_is_for_workers_only(elder, volunteer, login):
    assert login(volunteer.user).get("/aid/console/").status_code == 403
    assert login(elder.user).get("/aid/rules/").status_code == 403


def test_dispute_queue_and_resolution_page(elder, volunteer, post, worker_a, login):
    req = post()
    services.help_request_accept(actor=volunteer.user, request_id=req.pk)
    dispute = services.dispute_open(actor=elder.user, request_id=req.pk, reason="说好的时间没来")
    client = login(worker_a)
    assert "说好的时间没来" in text(client.get("/aid/console/disputes/"))
    page = text(client.get(f"/aid/console/disputes/{dispute.pk}/"))
    assert "处理结果" in page
    client.post(f"/aid/console/disputes/{dispute.pk}/", {"outcome": "no_credit", "note": "已与双方沟通"})
    dispute.refresh_from_db()
    assert dispute.status == "resolved"


def test_rules_page_edit_by_district_staff_read_only_for_workers(district_staff, worker_a, login, futian):
    page = text(login(worker_a).get("/aid/rules/"))
    assert "只有区民政局工作人员可以修改" in page and "disabled" in page
    client = login(district_staff)
    response = client.post(
        "/aid/rules/",
        {
            "policy": "1",
            "require_insurance": "on",
            "checkin_radius_m": "300",
            "max_distance_km": "4",
            "invite_batch": "6",
            "invite_minutes": "20",
            "max_rounds": "3",
            "max_active_tasks": "2",
        },
    )
    assert response.status_code == 302
    from shiguang.aid.models import AidPolicy, CategoryRequirement

    policy = AidPolicy.objects.get(district=futian["district"])
    assert policy.require_insurance and policy.checkin_radius_m == 300
    client.post(
        "/aid/rules/",
        {
            "requirement": "medical_escort",
            "medical_escort-category": "medical_escort",
            "medical_escort-certifications": ["elder_care_basics", "home_visit_safety"],
        },
    )
    row = CategoryRequirement.objects.get(category="medical_escort")
    assert row.certifications == ["elder_care_basics", "home_visit_safety"]


def test_preferences_page(elder, volunteer, login, post, worker_a):
    client = login(elder.user)
    client.post(f"/aid/elders/{elder.pk}/preferences/", {"volunteer_gender": "female", "note": "请先敲门"})
    assert elder.aid_preference.volunteer_gender == "female"
    services.preference_set(actor=elder.user, elder=elder, volunteer_gender="", note="")
    req = post()
    services.help_request_assign(actor=worker_a, request_id=req.pk, volunteer_id=volunteer.pk)
    assert "以后不再派这位志愿者" in text(client.get(f"/aid/requests/{req.pk}/"))
    client.post(f"/aid/requests/{req.pk}/block/", {"reason": "不太合适"})
    page = text(client.get(f"/aid/elders/{elder.pk}/preferences/"))
    assert "不再派单的志愿者" in page and "小王" in page and "不太合适" in page
    block = elder.user.aid_blocks.get()
    client.post(f"/aid/elders/{elder.pk}/preferences/", {"remove_block": block.pk})
    assert not elder.user.aid_blocks.exists()


def test_mine_lists_active_and_past(elder, post, login, family_a):
    post()
    page = text(login(elder.user).get("/aid/mine/"))
    assert "进行中" in page and "代购" in page and "我的签到码" in page
    assert "代购" in text(login(family_a).get("/aid/mine/"))


@pytest.mark.parametrize(
    "path", ["/aid/", "/aid/post/", "/aid/mine/", "/aid/tasks/", "/aid/console/", "/aid/rules/"]
)
def test_pages_need_sign_in(client, path):
    assert client.get(path).status_code == 302
