from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shiguang.accounts.choices import ConsentMethod
from shiguang.homeshare.choices import (
    BackgroundOutcome,
    CookingRule,
    DropoutReason,
    EndReason,
    GenderPref,
    HelpKind,
    Included,
    Interest,
    OfferConsent,
    ReferenceStatus,
    SignerRole,
    VisitorRule,
    Wellbeing,
)
from shiguang.legal.choices import MediationCategory
from shiguang.people.choices import LANGUAGES
from shiguang.people.models import ElderProfile

CHECKS = forms.CheckboxSelectMultiple
DATE = forms.DateInput(attrs={"type": "date"})
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class OfferForm(forms.Form):
    elder = forms.ModelChoiceField(label=_("长者"), queryset=ElderProfile.objects.none())
    room_size_m2 = forms.DecimalField(
        label=_("房间面积（平方米）"), min_value=5, max_value=200, decimal_places=1
    )
    floor = forms.IntegerField(label=_("楼层"), min_value=-3, max_value=100)
    has_lift = forms.BooleanField(label=_("有电梯"), required=False)
    rent_yuan = forms.IntegerField(label=_("月租金（元，免租填0）"), min_value=0, max_value=10000, initial=0)
    included = forms.MultipleChoiceField(
        label=_("租金包含"), choices=Included.choices, required=False, widget=CHECKS
    )
    room_note = forms.CharField(label=_("房间说明"), max_length=300, required=False)
    smoking_allowed = forms.BooleanField(label=_("允许青年在家吸烟"), required=False)
    elder_smokes = forms.BooleanField(label=_("长者本人吸烟"), required=False)
    pets_allowed = forms.BooleanField(label=_("允许青年带宠物"), required=False)
    elder_has_pets = forms.BooleanField(label=_("家中养有宠物"), required=False)
    visitors = forms.ChoiceField(label=_("访客"), choices=VisitorRule.choices, initial=VisitorRule.DAYTIME)
    quiet_from = forms.TimeField(label=_("安静时段开始"), widget=TIME, initial="22:00")
    quiet_to = forms.TimeField(label=_("安静时段结束"), widget=TIME, initial="07:00")
    cooking = forms.ChoiceField(label=_("做饭"), choices=CookingRule.choices, initial=CookingRule.SHARED)
    rules_note = forms.CharField(label=_("其他居家规则"), max_length=300, required=False)
    help_kinds = forms.MultipleChoiceField(label=_("希望得到的帮助"), choices=HelpKind.choices, widget=CHECKS)
    help_hours_per_week = forms.IntegerField(
        label=_("每周帮助时长（小时，最多15）"), min_value=1, max_value=15
    )
    evenings_wanted = forms.IntegerField(
        label=_("希望每周几个晚上有人在家"), min_value=0, max_value=7, initial=3
    )
    languages = forms.MultipleChoiceField(label=_("语言/方言"), choices=LANGUAGES, widget=CHECKS)
    interests = forms.MultipleChoiceField(
        label=_("兴趣爱好"), choices=Interest.choices, required=False, widget=CHECKS
    )
    pref_gender = forms.ChoiceField(
        label=_("青年性别偏好"), choices=GenderPref.choices, initial=GenderPref.ANY
    )
    age_min = forms.IntegerField(label=_("青年年龄下限"), min_value=16, max_value=80, initial=20)
    age_max = forms.IntegerField(label=_("青年年龄上限"), min_value=16, max_value=80, initial=35)

    def __init__(self, *args: Any, elders: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if elders is None:
            del self.fields["elder"]
        else:
            self.fields["elder"].queryset = elders  # type: ignore[attr-defined]

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("elder", None)
        return data


class ConsentForm(forms.Form):
    key = forms.ChoiceField(label=_("同意事项"), choices=OfferConsent.choices)
    method = forms.ChoiceField(
        label=_("方式"),
        choices=[(k, v) for k, v in ConsentMethod.choices if k != "online"],
        initial=ConsentMethod.PAPER,
    )


class ApplicationForm(forms.Form):
    workplace = forms.CharField(label=_("工作/学习单位"), max_length=100)
    work_lat = forms.FloatField(label=_("单位纬度"), help_text=_("例如 22.543（可在地图软件中查到）"))
    work_lng = forms.FloatField(label=_("单位经度"), help_text=_("例如 114.060"))
    budget_yuan = forms.IntegerField(label=_("可承担的月租（元）"), min_value=0, max_value=20000, initial=0)
    schedule = forms.CharField(label=_("作息与工作时间"), max_length=200)
    evenings_home = forms.IntegerField(label=_("每周在家的晚上数"), min_value=0, max_value=7, initial=4)
    help_kinds = forms.MultipleChoiceField(label=_("可以提供的帮助"), choices=HelpKind.choices, widget=CHECKS)
    help_hours_per_week = forms.IntegerField(label=_("每周可提供时长（小时）"), min_value=1, max_value=40)
    skills_note = forms.CharField(label=_("技能特长"), max_length=300, required=False)
    smoker = forms.BooleanField(label=_("我吸烟"), required=False)
    has_pets = forms.BooleanField(label=_("我有宠物"), required=False)
    accepts_pets = forms.BooleanField(label=_("可以接受家中有宠物"), required=False, initial=True)
    accepts_smoke = forms.BooleanField(label=_("可以接受同住者吸烟"), required=False)
    languages = forms.MultipleChoiceField(label=_("语言"), choices=LANGUAGES, widget=CHECKS)
    interests = forms.MultipleChoiceField(
        label=_("兴趣爱好"), choices=Interest.choices, required=False, widget=CHECKS
    )
    motivation = forms.CharField(label=_("申请动机"), widget=forms.Textarea(attrs={"rows": 4}))
    id_number = forms.CharField(
        label=_("身份证号（仅工作人员核验用，加密保存）"), max_length=20, required=False
    )


class ReferenceForm(forms.Form):
    name = forms.CharField(label=_("推荐人姓名"), max_length=60)
    relation = forms.CharField(label=_("关系（如导师、上司）"), max_length=60)
    organisation = forms.CharField(label=_("单位"), max_length=100, required=False)
    phone = forms.CharField(label=_("电话"), max_length=20)


class ReferenceCheckForm(forms.Form):
    status = forms.ChoiceField(
        label=_("核实结果"),
        choices=[(k, v) for k, v in ReferenceStatus.choices if k != ReferenceStatus.NOT_CONTACTED],
    )
    note = forms.CharField(label=_("说明"), max_length=300, required=False)


class BackgroundForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("背景核查结果"),
        choices=[(k, v) for k, v in BackgroundOutcome.choices if k != BackgroundOutcome.PENDING],
    )
    checked_on = forms.DateField(label=_("核查日期"), widget=DATE)
    id_verified = forms.BooleanField(label=_("已核对身份证原件"), required=False)
    note = forms.CharField(label=_("说明"), max_length=300, required=False)


class DropoutForm(forms.Form):
    reason = forms.ChoiceField(label=_("退出原因"), choices=DropoutReason.choices)
    note = forms.CharField(label=_("说明"), max_length=300, required=False)


class MeetingForm(forms.Form):
    held_at = forms.DateTimeField(label=_("见面时间"), widget=DATETIME)
    place = forms.CharField(label=_("地点"), max_length=100)
    elder_feedback = forms.CharField(label=_("长者感受"), max_length=300, required=False)
    youth_feedback = forms.CharField(label=_("青年感受"), max_length=300, required=False)
    notes = forms.CharField(label=_("记录"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class EndForm(forms.Form):
    reason = forms.ChoiceField(label=_("结束原因"), choices=EndReason.choices)
    note = forms.CharField(label=_("说明"), max_length=300)
    ended_on = forms.DateField(label=_("结束日期"), widget=DATE, required=False)
    rematch = forms.BooleanField(label=_("双方回到待配对名单，重新配对"), required=False)


class MediationForm(forms.Form):
    category = forms.ChoiceField(label=_("争议类别"), choices=MediationCategory.choices)
    issue = forms.CharField(label=_("争议事项"), widget=forms.Textarea(attrs={"rows": 3}))


class HelpLogForm(forms.Form):
    date = forms.DateField(label=_("日期"), widget=DATE)
    minutes = forms.IntegerField(label=_("时长（分钟）"), min_value=15, max_value=600, initial=60)
    kinds = forms.MultipleChoiceField(label=_("帮助内容"), choices=HelpKind.choices, widget=CHECKS)
    note = forms.CharField(label=_("说明"), max_length=300, required=False)


class VisitForm(forms.Form):
    elder_wellbeing = forms.TypedChoiceField(label=_("长者状态"), choices=Wellbeing.choices, coerce=int)
    youth_wellbeing = forms.TypedChoiceField(label=_("青年状态"), choices=Wellbeing.choices, coerce=int)
    notes = forms.CharField(label=_("回访记录"), widget=forms.Textarea(attrs={"rows": 4}))
    concerns = forms.CharField(label=_("需要跟进的问题（没有请留空）"), max_length=300, required=False)


class ReviseForm(forms.Form):
    start_date = forms.DateField(label=_("起始日期"), widget=DATE)
    term_months = forms.IntegerField(label=_("期限（月）"), min_value=0, max_value=120)
    trial_months = forms.IntegerField(label=_("试住期（月）"), min_value=0, max_value=120)
    help_hours_per_week = forms.IntegerField(label=_("每周帮助时长（小时）"), min_value=0, max_value=168)
    help_kinds = forms.MultipleChoiceField(label=_("帮助内容"), choices=HelpKind.choices, widget=CHECKS)
    rent_yuan = forms.IntegerField(label=_("月租金（元）"), min_value=0)
    costs = forms.CharField(label=_("费用与水电"), widget=forms.Textarea(attrs={"rows": 2}))
    house_rules = forms.CharField(label=_("居家规则"), widget=forms.Textarea(attrs={"rows": 2}))
    privacy = forms.CharField(label=_("隐私"), widget=forms.Textarea(attrs={"rows": 2}))
    visitors = forms.CharField(label=_("访客"), max_length=300)
    leave_notice_days = forms.IntegerField(label=_("外出提前告知（天）"), min_value=0)
    max_absence_days = forms.IntegerField(label=_("连续外出上限（天）"), min_value=0)
    emergency_contacts = forms.CharField(label=_("紧急联系人"), max_length=300)
    insurance = forms.CharField(label=_("保险"), widget=forms.Textarea(attrs={"rows": 2}))
    notice_days = forms.IntegerField(label=_("解除通知期（天）"), min_value=0)
    address = forms.CharField(label=_("住址"), max_length=200)
    room = forms.CharField(label=_("房间情况"), max_length=200)
    note = forms.CharField(label=_("修改说明"), max_length=300)

    def changes(self, terms: dict[str, Any]) -> dict[str, Any]:
        result = {}
        for key, value in self.cleaned_data.items():
            if key == "note":
                continue
            value = value.isoformat() if hasattr(value, "isoformat") else value
            if terms.get(key) != value:
                result[key] = value
        return result


class WitnessForm(forms.Form):
    role = forms.ChoiceField(
        label=_("代为录入谁的纸质签字"),
        choices=[(SignerRole.ELDER, SignerRole.ELDER.label), (SignerRole.YOUTH, SignerRole.YOUTH.label)],
    )
