"""Pages: every feature has one, for the right people, with clear messages; Excel exports open and hold
the rows they should."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from shiguang.community import services
from shiguang.community.models import Activity, CaseStory, OutreachVisit, Signup
from shiguang.core import clock


def _xlsx(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    return openpyxl.load_workbook(io.BytesIO(response.content))


def test_home_tile_leads_to_this_weeks_activities_with_big_signup_buttons(make_activity, elder_a, login):
    make_activity(title="粤剧欣赏", kind="culture")
    client = login(elder_a.user)
    home = client.get("/").content.decode()
    assert 'href="/community/"' in home and "社区活动" in home
    page = client.get("/community/").content.decode()
    assert "本周社区活动" in page and "粤剧欣赏" in page and "测试甲站" in page
    assert 'class="btn btn-primary"' in page and ">报名<" in page
    assert "body" in page and 'class="elder"' in page


def test_htmx_signup_swaps_the_card_with_the_message(make_activity, elder_a, login, make_elders):
    activity = make_activity(capacity=1)
    client = login(elder_a.user)
    response = client.post(
        f"/community/activities/{activity.id}/signup/", {"elder": elder_a.id}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200 and f'id="activity-{activity.id}"' in html and "报名成功" in html
    again = client.post(
        f"/community/activities/{activity.id}/signup/", {"elder": elder_a.id}, HTTP_HX_REQUEST="true"
    )
    assert "无需重复报名" in again.content.decode() and 'role="alert"' in again.content.decode()
    (other,) = make_elders(1)
    waitlisted = login(other.user).post(
        f"/community/activities/{activity.id}/signup/", HTTP_HX_REQUEST="true"
    )
    assert "名额已满，已为您登记候补第1位" in waitlisted.content.decode()


def test_signup_without_javascript_redirects_with_a_message(make_activity, elder_a, login):
    activity = make_activity()
    client = login(elder_a.user)
    response = client.post(f"/community/activities/{activity.id}/signup/", follow=True)
    assert "报名成功" in response.content.decode() and "已报名的活动" in response.content.decode()
    signup = Signup.objects.get()
    response = client.post(f"/community/signups/{signup.id}/cancel/", follow=True)
    assert "已取消报名" in response.content.decode()


def test_family_member_signs_up_their_parent(make_activity, elder_a, family_a, login):
    activity = make_activity()
    client = login(family_a)
    page = client.get("/community/").content.decode()
    assert "为 陈婆婆 报名" in page
    client.post(f"/community/activities/{activity.id}/signup/", {"elder": elder_a.id})
    assert Signup.objects.get().channel == "family"


def test_volunteers_are_pointed_to_training(volunteer_a, login):
    response = login(volunteer_a.user).get("/community/")
    assert response.status_code == 403 and "培训与证书" in response.content.decode()


def test_qr_checkin_page_outside_the_window(make_activity, elder_a, login):
    activity = make_activity()
    services.activity_signup(actor=elder_a.user, activity_id=activity.id, elder=elder_a)
    client = login(elder_a.user)
    url = f"/community/c/{activity.checkin_code}/"
    page = client.get(url).content.decode()
    assert "我到了，签到" in page and "现在还不在签到时间内" in page
    response = client.post(url, HTTP_REFERER=f"http://testserver{url}", follow=True)
    assert "现在不在签到时间内" in response.content.decode()
    assert Signup.objects.get().checked_in_at is None
    with clock.frozen(activity.start_at):
        response = client.post(url, follow=True)
    assert "签到成功" in response.content.decode()


def test_staff_pages_roster_door_and_exports(make_activity, elder_a, worker_a, login):
    activity = make_activity()
    services.activity_signup(actor=worker_a, activity_id=activity.id, elder=elder_a)
    client = login(worker_a)
    assert "太极晨练" in client.get("/community/manage/").content.decode()
    detail = client.get(f"/community/manage/{activity.id}/").content.decode()
    assert "陈婆婆" in detail and "门口签到二维码" in detail
    door = client.get(f"/community/manage/{activity.id}/door/").content.decode()
    assert "<svg" in door and activity.checkin_code in door and "style=" not in door
    book = _xlsx(client.get(f"/community/manage/{activity.id}/?format=xlsx"))
    rows = list(book["出勤名单"].iter_rows(values_only=True))
    assert rows[0][1] == "姓名" and rows[1][1] == "陈婆婆" and rows[1][3] == "138****8001"
    summary = _xlsx(client.get("/community/manage/?format=xlsx"))
    assert list(summary.active.iter_rows(values_only=True))[1][2] == "太极晨练"
    search = client.get(f"/community/manage/{activity.id}/elders/", {"q": "陈"}).content.decode()
    assert "为 陈婆婆" in search
    with clock.frozen(activity.start_at):
        signup = Signup.objects.get()
        row = client.post(
            f"/community/manage/signups/{signup.id}/attendance/", {"attended": "1"}, HTTP_HX_REQUEST="true"
        )
        assert "撤销签到" in row.content.decode()
    # Elders cannot open staff pages.
    assert login(elder_a.user).get(f"/community/manage/{activity.id}/").status_code == 403


def test_publish_forms_show_service_errors(worker_a, station, login):
    client = login(worker_a)
    start = clock.now() - dt.timedelta(hours=1)
    response = client.post(
        "/community/manage/new/",
        {
            "title": "书法",
            "kind": "culture",
            "facility": station.id,
            "start_at": start.strftime("%Y-%m-%dT%H:%M"),
            "end_at": (start + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "capacity": 10,
        },
    )
    assert response.status_code == 200 and "开始时间必须晚于现在" in response.content.decode()
    assert not Activity.objects.exists()
    response = client.post(
        "/community/manage/series/new/",
        {
            "title": "太极",
            "kind": "exercise",
            "facility": station.id,
            "weekday": 3,
            "start_time": "08:30",
            "duration_minutes": 60,
            "capacity": 30,
            "starts_on": clock.today().isoformat(),
        },
        follow=True,
    )
    assert "已发布每周活动" in response.content.decode()


def test_groups_join_and_announcement_notifies(worker_a, elder_a, futian, login):
    from shiguang.notify.models import Notification

    client = login(worker_a)
    response = client.post(
        "/community/groups/new/",
        {"name": "粤剧社", "kind": "culture", "community": futian["a"].id},
        follow=True,
    )
    assert "已创建兴趣小组" in response.content.decode()
    group_id = response.redirect_chain[-1][0].rstrip("/").split("/")[-1]
    elder = login(elder_a.user)
    assert "粤剧社" in elder.get("/community/groups/").content.decode()
    elder.post(f"/community/groups/{group_id}/join/")
    client = login(worker_a)
    client.post(
        f"/community/groups/{group_id}/announce/",
        {"title": "周三排练改到下午", "body": "三点开始，地点不变。"},
    )
    note = Notification.objects.get(recipient=elder_a.user, template="community.group.announcement")
    assert note.data["title"] == "周三排练改到下午"
    page = login(elder_a.user).get(f"/community/groups/{group_id}/").content.decode()
    assert "三点开始" in page and "退出小组" in page


def test_training_pages(courses, worker_a, approved_volunteer, station, district_staff, login):
    from shiguang.community.models import Course

    course = Course.objects.get(code="safe-home-visits")
    start = clock.now() + dt.timedelta(days=2)
    session = services.session_create(
        actor=worker_a,
        course_id=course.id,
        facility=station,
        start_at=start,
        end_at=start + dt.timedelta(hours=3),
        capacity=10,
        trainer_name="张老师",
    )
    volunteer = login(approved_volunteer.user)
    page = volunteer.get("/community/training/").content.decode()
    assert "安全入户" in page and "报名：安全入户" in page
    volunteer.post(f"/community/training/sessions/{session.id}/enroll/")
    assert "✓ 已报名" in volunteer.get("/community/training/").content.decode()
    assert "还没有证书" in volunteer.get("/community/certifications/").content.decode()
    staff = login(worker_a)
    assert "30天内到期的证书" in staff.get("/community/training/").content.decode()
    roster = staff.get(f"/community/training/sessions/{session.id}/").content.decode()
    assert "小王" in roster
    book = _xlsx(staff.get(f"/community/training/sessions/{session.id}/?format=xlsx"))
    assert list(book.active.iter_rows(values_only=True))[1][0] == "小王"
    detail = staff.get(f"/community/volunteers/{approved_volunteer.id}/").content.decode()
    assert "登记外部证书" in detail and "志愿者意外险" in detail
    today = clock.today()
    staff.post(
        f"/community/volunteers/{approved_volunteer.id}/",
        {
            "action": "insurance",
            "insurer": "平安",
            "policy_number": "X-1",
            "valid_from": today,
            "valid_to": today + dt.timedelta(days=30),
        },
    )
    assert "X-1" in staff.get(f"/community/volunteers/{approved_volunteer.id}/").content.decode()
    assert staff.get("/community/rules/").status_code == 403
    rules = login(district_staff)
    rules.post("/community/rules/", {"key": "insurance_required_for_home_visits", "value": "on"})
    assert "最近由" in rules.get("/community/rules/").content.decode()


def test_outreach_pages_unknown_household_and_exports(worker_a, elder_a, elder_b, login):
    client = login(worker_a)
    response = client.post(
        "/community/outreach/new/",
        {"elder_id": elder_b.id, "visited_on": clock.today().isoformat(), "outcome": "informed"},
    )
    assert response.status_code == 200 and "不在您的辖区" in response.content.decode()
    assert not OutreachVisit.objects.exists()
    response = client.post(
        "/community/outreach/new/",
        {
            "household_address": "测试路5号",
            "contact_name": "王阿姨",
            "visited_on": clock.today().isoformat(),
            "outcome": "informed",
        },
        follow=True,
    )
    assert "已登记走访" in response.content.decode()
    visit = OutreachVisit.objects.get()
    answers = {
        "living": "alone",
        "age_band": "80_plus",
        "self_care": "dependent",
        "homeshare": "no",
        "mutual_aid": "receive",
        "sos_device": "yes",
        "needs": ["meal"],
    }
    response = client.post(f"/community/outreach/{visit.id}/screening/", answers, follow=True)
    assert "重点关注" in response.content.decode()
    book = _xlsx(client.get("/community/outreach/?format=xlsx"))
    row = list(book.active.iter_rows(values_only=True))[1]
    assert "测试路5号" not in str(row) and row[3] == "王阿姨" and row[10] == "是"
    funnel = client.get("/community/outreach/funnel/").content.decode()
    assert 'data-chart="bar"' in funnel and "走访住户" in funnel
    book = _xlsx(client.get("/community/outreach/funnel/?format=xlsx"))
    assert book.sheetnames == ["各社区", "漏斗合计", "意向"]
    assert list(book["漏斗合计"].iter_rows(values_only=True))[1][:2] == ("走访住户", 1)
    search = client.get("/community/outreach/elders/", {"q": "陈"}).content.decode()
    assert (
        f"陈婆婆（测试甲社区，编号 {elder_a.id}）" in search and f'data-pick-value="{elder_a.id}"' in search
    )
    assert "李伯" not in client.get("/community/outreach/elders/", {"q": "李"}).content.decode()


def test_youth_page_for_volunteer_and_staff(approved_volunteer, worker_a, login):
    volunteer = login(approved_volunteer.user)
    response = volunteer.post(
        "/community/youth/",
        {
            "respondent_kind": "graduate",
            "channel": "university",
            "interests": ["volunteer", "training"],
            "hours_per_week": 3,
        },
        follow=True,
    )
    assert "谢谢" in response.content.decode()
    page = login(worker_a).get("/community/youth/").content.decode()
    assert "汇总（1 份）" in page and "应届毕业生" in page
    assert _xlsx(login(worker_a).get("/community/youth/?format=xlsx")).active.max_row == 2


def test_case_pages(worker_a, street_staff, elder_a, login):
    client = login(worker_a)
    response = client.post(
        "/community/cases/new/",
        {
            "title": "陈婆婆学会视频通话",
            "kind": "mutual_aid",
            "community": elder_a.community_id,
            "summary": "志愿者教陈婆婆用手机和女儿视频。",
            "person_ids": str(elder_a.user_id),
            "quotes": f"{elder_a.user_id}|终于能看到外孙了！",
        },
        follow=True,
    )
    assert "发布预览" in response.content.decode() and "陈某学会视频通话" in response.content.decode()
    case = CaseStory.objects.get()
    client.post(f"/community/cases/{case.id}/submit/")
    reviewer = login(street_staff)
    reviewer.post(f"/community/cases/{case.id}/review/", {"decision": "approve", "note": ""})
    page = login(elder_a.user).get(f"/community/cases/{case.id}/").content.decode()
    assert "陈某学会视频通话" in page and "陈婆婆" not in page and "内部信息" not in page


@pytest.mark.parametrize(
    "path",
    [
        "/community/manage/",
        "/community/training/",
        "/community/outreach/",
        "/community/outreach/funnel/",
        "/community/cases/",
        "/community/volunteers/",
        "/community/groups/",
        "/community/youth/",
        "/community/outreach/new/",
        "/community/manage/new/",
        "/community/manage/series/new/",
        "/community/training/sessions/new/",
        "/community/cases/new/",
    ],
)
def test_staff_pages_render(path, worker_a, login):
    assert login(worker_a).get(path).status_code == 200


@pytest.mark.parametrize(
    "model",
    [
        "activity",
        "activityseries",
        "signup",
        "interestgroup",
        "course",
        "coursesession",
        "sessionenrollment",
        "certification",
        "volunteerinsurance",
        "volunteerrecruitment",
        "outreachvisit",
        "youthsurvey",
        "casestory",
        "districtrule",
    ],
)
def test_admin_lists_load(model, system, make_activity, login):
    make_activity()
    assert login(system).get(f"/admin/community/{model}/").status_code == 200


def test_community_worker_signs_their_elder_up_at_the_street_centre(
    futian, street_staff, worker_a, elder_a, login
):
    from shiguang.places.models import Facility

    centre = Facility.objects.create(
        street=futian["nanyuan"],
        name="南园街道长者服务中心",
        level="street_centre",
        latitude=22.543,
        longitude=114.088,
    )
    start = clock.now() + dt.timedelta(days=3)
    talk = services.activity_create(
        actor=street_staff,
        facility=centre,
        title="防诈骗讲座",
        kind="health_talk",
        start_at=start,
        end_at=start + dt.timedelta(hours=1),
        capacity=50,
    )
    client = login(worker_a)
    assert "防诈骗讲座" in client.get("/community/manage/").content.decode()
    detail = client.get(f"/community/manage/{talk.id}/").content.decode()
    assert "为长者代报名" in detail and "取消活动" not in detail  # sees it, signs up, does not run it
    client.post(f"/community/manage/{talk.id}/proxy/", {"elder_id": elder_a.id})
    assert Signup.objects.get().channel == "proxy"
    response = client.post(
        f"/community/manage/{talk.id}/cancel/", {"reason": "x"}, HTTP_REFERER="http://testserver/"
    )
    assert Activity.objects.get().status == "scheduled" and response.status_code == 302
