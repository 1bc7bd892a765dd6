"""Each intent and its slots through the service layer: what the elder hears and what is proposed."""

from __future__ import annotations

import datetime as dt

import pytest

from shiguang.assistant.choices import ActionKind, ActionStatus
from shiguang.assistant.models import EmergencyCountdown, PendingAction
from shiguang.assistant.tests.conftest import FakeActivity, FakeRequest
from shiguang.assistant.tests.helpers import MON_NOV_30, local, say

pytestmark = [pytest.mark.django_db, pytest.mark.urls("shiguang.assistant.tests.urls")]


# --- request_help -------------------------------------------------------------------------------------------


def test_help_request_is_proposed_in_plain_words_and_not_done(elder_a, fakes, at):
    with at(MON_NOV_30):
        turn = say(elder_a.user, "明天上午9点想找人陪我去医院")
    assert turn.intent == "request_help"
    assert turn.slots == {"category": "medical_escort", "date": "2026-12-01", "time": "09:00"}
    assert turn.reply == "我帮您发一个求助：明天上午9点，陪诊。确认吗？"
    assert turn.action is not None and turn.action.kind == ActionKind.REQUEST_HELP
    assert turn.action.status == ActionStatus.PENDING
    assert turn.action.params == {
        "category": "medical_escort",
        "date": "2026-12-01",
        "time": "09:00",
        "urgency": "soon",
        "duration_minutes": 120,
        "description": "明天上午9点想找人陪我去医院",
    }
    assert turn.action.expires_at == MON_NOV_30 + dt.timedelta(minutes=10)
    assert fakes.count("help_request_create") == 0  # nothing is done before the elder confirms


@pytest.mark.parametrize(
    ("text", "category", "label"),
    [
        ("后天帮我买点菜", "shopping", "代购买东西"),
        ("想请人来帮我打扫一下卫生", "housework", "家务"),
        ("家里水龙头漏水了，帮我修一下", "repair", "维修"),
        ("教我用微信视频好不好", "digital_help", "教用手机电脑"),
        ("我想找律师咨询一下遗嘱的事", "legal", "法律咨询"),
        ("明天中午帮我送个饭", "meal", "助餐送餐"),
        ("想找人陪我去公园走走", "outing", "出行陪同"),
        ("一个人在家闷，想找人陪我聊聊天", "companionship", "陪伴聊天"),
    ],
)
def test_every_help_category_reaches_the_proposal(elder_a, fakes, at, text, category, label):
    with at(MON_NOV_30):
        turn = say(elder_a.user, text)
    assert turn.intent == "request_help"
    assert turn.action.params["category"] == category
    assert label in turn.reply
    assert turn.reply.endswith("确认吗？")


@pytest.mark.parametrize(
    ("now", "text", "date", "words"),
    [
        # month end: 30 Nov + 1 day = 1 Dec
        (local(2026, 11, 30, 10), "明天下午三点陪我去社康", "2026-12-01", "明天下午3点"),
        # year end: 31 Dec + 1 day = 1 Jan next year
        (local(2026, 12, 31, 10), "明天下午三点陪我去社康", "2027-01-01", "明天下午3点"),
        # 后天 across the year: 30 Dec -> 1 Jan
        (local(2026, 12, 30, 8), "后天上午十点半帮我买菜", "2027-01-01", "后天上午10点半"),
        # next week across the year: Wednesday 30 Dec -> Monday 4 Jan
        (local(2026, 12, 30, 8), "下周一上午九点陪我去复查", "2027-01-04", "2027年1月4日（周一）上午9点"),
        # 31 Jan + 1 month end: 后天 from 30 Jan -> 1 Feb (not 31 Feb)
        (local(2027, 1, 30, 9), "后天帮我买菜", "2027-02-01", "后天（具体几点志愿者会跟您约）"),
        # a date already past this year means next year
        (local(2026, 12, 20, 9), "1月3号下午两点陪我去医院", "2027-01-03", "2027年1月3日（周日）下午2点"),
    ],
)
def test_dates_across_month_and_year_ends(elder_a, fakes, at, now, text, date, words):
    with at(now):
        turn = say(elder_a.user, text)
    assert turn.action.params["date"] == date
    assert words in turn.reply


def test_clock_time_without_a_day_means_today_or_tomorrow(elder_a, fakes, at):
    with at(local(2026, 11, 30, 10)):
        early = say(elder_a.user, "下午三点陪我去社康")
    with at(local(2026, 11, 30, 16)):
        late = say(elder_a.user, "下午三点陪我去社康")
    assert early.action.params["date"] == "2026-11-30" and "今天下午3点" in early.reply
    assert early.action.params["urgency"] == "today"
    assert late.action.params["date"] == "2026-12-01" and "明天下午3点" in late.reply


def test_a_time_already_past_today_is_not_proposed(elder_a, fakes, at):
    with at(local(2026, 11, 30, 10)):
        turn = say(elder_a.user, "今天上午九点陪我去医院")
    assert turn.action is None
    assert "已经过了" in turn.reply
    assert not PendingAction.objects.exists()


def test_no_date_gives_an_open_request(elder_a, fakes, at):
    with at(MON_NOV_30):
        turn = say(elder_a.user, "家里灯坏了")
    assert turn.reply == "我帮您发一个求助：维修，时间待定（志愿者会先跟您约时间）。确认吗？"
    assert turn.action.params["urgency"] == "anytime"


def test_past_fall_with_a_present_request_is_a_help_request(elder_a, fakes, at):
    with at(MON_NOV_30):
        turn = say(elder_a.user, "上个月摔了一跤，现在想找人陪我复查")
    assert turn.intent == "request_help"
    assert turn.action.params["category"] == "medical_escort"
    assert not EmergencyCountdown.objects.exists()


def test_someone_who_is_not_an_elder_is_told_how_to_ask(volunteer_a, fakes, at):
    with at(MON_NOV_30):
        turn = say(volunteer_a.user, "明天帮我买菜")
    assert turn.action is None
    assert "长者本人的账户" in turn.reply


# --- join_activity ------------------------------------------------------------------------------------------


def test_join_activity_proposes_the_nearest_session(elder_a, fakes, at):
    fakes.activities = [
        FakeActivity(7, "太极拳班", local(2026, 12, 3, 9, 0)),
        FakeActivity(8, "太极拳班（周六）", local(2026, 12, 5, 9, 0)),
    ]
    with at(MON_NOV_30):
        turn = say(elder_a.user, "我想报名太极")
    assert turn.intent == "join_activity" and turn.slots == {"activity": "太极"}
    assert fakes.calls["activities_for_elder"][0]["keyword"] == "太极"
    assert turn.action.params["activity_id"] == 7
    assert "我帮您报名：太极拳班，12月3日（周四）上午9点，在测试甲站。确认吗？" in turn.reply
    assert turn.reply.startswith("找到2场")
    assert fakes.count("activity_signup") == 0


def test_join_without_a_keyword_offers_choices(elder_a, fakes, at):
    fakes.activities = [FakeActivity(i, f"活动{i}", local(2026, 12, i, 9)) for i in range(1, 6)]
    with at(MON_NOV_30):
        turn = say(elder_a.user, "我想参加社区活动")
    assert turn.intent == "join_activity"
    assert turn.action is None and len(turn.options) == 3
    assert len({a.group for a in turn.options}) == 1


def test_join_with_nothing_found(elder_a, fakes, at):
    with at(MON_NOV_30):
        turn = say(elder_a.user, "我想报名书法班")
    assert turn.action is None and "没有找到“书法”" in turn.reply


# --- cancel_request -----------------------------------------------------------------------------------------


def test_cancel_with_one_open_request(elder_a, fakes, at):
    fakes.requests = [FakeRequest(41, "medical_escort", "陪诊", local(2026, 12, 1, 9))]
    with at(MON_NOV_30):
        turn = say(elder_a.user, "明天不用人陪我去医院了，取消吧")
    assert turn.intent == "cancel_request"
    assert turn.reply == "我帮您取消这个求助：陪诊，明天上午9点。确认吗？"
    assert turn.action.params["request_id"] == 41
    assert fakes.count("help_request_cancel") == 0


def test_cancel_narrows_by_what_was_said(elder_a, fakes, at):
    fakes.requests = [
        FakeRequest(41, "medical_escort", "陪诊", local(2026, 12, 1, 9)),
        FakeRequest(42, "shopping", "买菜", local(2026, 12, 2, 9)),
        FakeRequest(43, "repair", "修灯", None),
    ]
    with at(MON_NOV_30):
        narrowed = say(elder_a.user, "取消买菜那个求助")
        several = say(elder_a.user, "我要取消求助")
    assert narrowed.action.params["request_id"] == 42
    assert several.action is None and len(several.options) == 3
    assert "3个求助" in several.reply


def test_cancel_with_nothing_open(elder_a, fakes, at):
    with at(MON_NOV_30):
        turn = say(elder_a.user, "取消我的求助")
    assert turn.action is None and "没有还在等待的求助" in turn.reply


# --- daily_checkin, check_balance ---------------------------------------------------------------------------


def test_checkin_is_proposed(elder_a, fakes, at):
    with at(MON_NOV_30):
        turn = say(elder_a.user, "我今天挺好的，报个平安")
    assert turn.intent == "daily_checkin"
    assert turn.action.kind == ActionKind.DAILY_CHECKIN
    assert fakes.count("checkin_record") == 0


def test_balance_reads_the_ledger(elder_a, fakes):
    turn = say(elder_a.user, "我的时间币还有多少")
    assert turn.intent == "check_balance"
    assert turn.reply == "您的时间银行余额是12.5小时（时间币）。目前是1星。"
    assert turn.action is None
    fakes.balance, fakes.stars = 3, 0
    assert say(elder_a.user, "查一下我的时间余额").reply == "您的时间银行余额是3小时（时间币）。"


def test_balance_works_for_a_volunteer_too(volunteer_a, fakes):
    assert "12.5小时" in say(volunteer_a.user, "我攒了多少时间币").reply


# --- ask_policy ---------------------------------------------------------------------------------------------


def test_policy_answer_names_the_article(elder_a, seeded):
    turn = say(elder_a.user, "时间银行是怎么算的")
    assert turn.intent == "ask_policy"
    assert turn.article is not None and turn.article.key == "timebank-rules"
    assert turn.reply.startswith("《时间银行规则：时间币怎么算》里说：")
    assert "1小时记1个时间币" in turn.reply
    assert any("时间银行规则" in link.label for link in turn.links)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("有人打电话要我转账是不是骗子?", "anti-scam"),
        ("幸福同行是什么项目", "homeshare"),
        ("法律援助要钱吗", "legal-centre"),
        ("时间银行的时间可以送给别人吗", "timebank-use"),
    ],
)
def test_policy_topics(elder_a, seeded, text, key):
    turn = say(elder_a.user, text)
    assert turn.intent == "ask_policy"
    assert turn.article.key == key
    assert f"《{turn.article.title}》" in turn.reply


def test_nearest_station_from_the_data(elder_a, seeded, futian):
    from shiguang.places.models import Facility

    Facility.objects.filter(name="测试甲站").update(
        opening_hours="周一至周六 08:30-17:30", address="测试路2号"
    )
    Facility.objects.create(
        street=futian["shatou"],
        community=futian["b"],
        name="测试丙站",
        level="community_station",
        latitude=22.525,
        longitude=114.030,
    )
    Facility.objects.create(  # nearer, but closed
        street=futian["nanyuan"],
        name="停用站",
        level="community_station",
        latitude=22.5411,
        longitude=114.0891,
        status="closed",
    )
    turn = say(elder_a.user, "最近的服务站在哪")
    assert turn.intent == "ask_policy"
    assert turn.station is not None and turn.station.name == "测试甲站"
    assert turn.reply == (
        "离您家最近的社区长者服务站是“测试甲站”，大约200米。地址：测试路2号。"
        "开放时间：周一至周六 08:30-17:30。（来源：《长者服务站与开放时间》）"
    )
    assert turn.article.key == "stations"


def test_station_question_without_a_location(worker_a, seeded):
    worker_a.community.latitude = None
    worker_a.community.save()
    turn = say(worker_a, "附近的长者服务站在哪里")
    assert turn.station is None and "不知道您家的大致位置" in turn.reply


def test_policy_question_without_an_answer(elder_a, seeded):
    turn = say(elder_a.user, "请问社区有没有游泳池的规定")
    assert turn.intent in ("ask_policy", "chitchat")
    if turn.intent == "ask_policy":
        assert turn.article is None or f"《{turn.article.title}》" in turn.reply


# --- chitchat and emergency ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("你好", "我是AI助手"),
        ("谢谢你", "不客气"),
        ("你是谁", "时光家园的AI助手"),
        ("今天天气真好", "我没太听明白"),
    ],
)
def test_chitchat(elder_a, text, expected):
    turn = say(elder_a.user, text)
    assert turn.intent == "chitchat" and expected in turn.reply
    assert turn.action is None and not turn.options


def test_emergency_starts_the_countdown_without_confirmation(elder_a, fakes, at):
    with at(MON_NOV_30):
        turn = say(elder_a.user, "我摔倒了起不来")
    assert turn.intent == "emergency"
    assert turn.action is None
    assert turn.emergency is not None and turn.emergency.due_at == MON_NOV_30 + dt.timedelta(seconds=10)
    assert turn.hotline and "10秒后发出" in turn.reply


@pytest.mark.parametrize(
    "text",
    ["明天帮我买菜，哎呀我摔倒了起不来", "救命！", "我老伴晕倒了叫不醒", "厨房着火了", "家里煤气漏了"],
)
def test_emergency_wins_over_every_other_intent(elder_a, fakes, at, text):
    with at(MON_NOV_30):
        turn = say(elder_a.user, text)
    assert turn.intent == "emergency" and turn.emergency is not None
    assert not PendingAction.objects.exists()


def test_diagnosis_questions_are_refused_politely(elder_a, fakes):
    for text in ("我血压160是不是很严重", "我头痛是什么病", "降压药能不能和感冒药一起吃"):
        turn = say(elder_a.user, text)
        assert "我不能看病" in turn.reply and "120" in turn.reply, text
        assert turn.action is None
