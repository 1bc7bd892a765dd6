"""Page forms. They only parse input; every rule is checked in the services (shown via apply_errors)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shiguang.community import screening
from shiguang.community.choices import (
    ActivityKind,
    CaseKind,
    CertificationKind,
    OutreachOutcome,
    RecruitmentChannel,
    TrainingResult,
    Weekday,
    YouthInterest,
)
from shiguang.community.models import Course
from shiguang.people.choices import VolunteerKind
from shiguang.places.models import Community, Facility

DATETIME = {"type": "datetime-local"}
DT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


def _date() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"})


class _WithQuerysets(forms.Form):
    def __init__(self, *args: Any, querysets: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, qs in (querysets or {}).items():
            self.fields[name].queryset = qs  # type: ignore[attr-defined]


class ActivityForm(_WithQuerysets):
    title = forms.CharField(label=_("活动名称"), max_length=80)
    kind = forms.ChoiceField(label=_("类别"), choices=ActivityKind.choices)
    facility = forms.ModelChoiceField(label=_("地点"), queryset=Facility.objects.none())
    start_at = forms.DateTimeField(
        label=_("开始时间"), widget=forms.DateTimeInput(attrs=DATETIME), input_formats=DT_FORMATS
    )
    end_at = forms.DateTimeField(
        label=_("结束时间"), widget=forms.DateTimeInput(attrs=DATETIME), input_formats=DT_FORMATS
    )
    capacity = forms.IntegerField(label=_("名额"), min_value=1, max_value=500)
    tags = forms.CharField(
        label=_("关键词"),
        required=False,
        max_length=200,
        help_text=_("用逗号或空格分隔，例如：太极 八段锦。长者说这些词时能找到这个活动。"),
    )
    description = forms.CharField(label=_("介绍"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class SeriesForm(_WithQuerysets):
    title = forms.CharField(label=_("活动名称"), max_length=80)
    kind = forms.ChoiceField(label=_("类别"), choices=ActivityKind.choices)
    facility = forms.ModelChoiceField(label=_("地点"), queryset=Facility.objects.none())
    weekday = forms.TypedChoiceField(label=_("每周"), choices=Weekday.choices, coerce=int)
    start_time = forms.TimeField(label=_("开始时间"), widget=forms.TimeInput(attrs={"type": "time"}))
    duration_minutes = forms.IntegerField(label=_("时长（分钟）"), min_value=15, max_value=720, initial=90)
    capacity = forms.IntegerField(label=_("每次名额"), min_value=1, max_value=500)
    starts_on = forms.DateField(label=_("首次日期"), widget=_date())
    ends_on = forms.DateField(label=_("结束日期（可不填）"), widget=_date(), required=False)
    tags = forms.CharField(label=_("关键词"), required=False, max_length=200)
    description = forms.CharField(label=_("介绍"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class CapacityForm(forms.Form):
    capacity = forms.IntegerField(label=_("名额"), min_value=1, max_value=500)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=200)


class GroupForm(_WithQuerysets):
    name = forms.CharField(label=_("小组名称"), max_length=60)
    kind = forms.ChoiceField(label=_("类别"), choices=ActivityKind.choices)
    community = forms.ModelChoiceField(label=_("社区"), queryset=Community.objects.none())
    facility = forms.ModelChoiceField(label=_("活动地点"), queryset=Facility.objects.none(), required=False)
    description = forms.CharField(label=_("介绍"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class AnnouncementForm(forms.Form):
    title = forms.CharField(label=_("公告标题"), max_length=80)
    body = forms.CharField(label=_("公告内容"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))


class SessionForm(_WithQuerysets):
    course = forms.ModelChoiceField(label=_("课程"), queryset=Course.objects.none())
    facility = forms.ModelChoiceField(label=_("地点"), queryset=Facility.objects.none())
    start_at = forms.DateTimeField(
        label=_("开始时间"), widget=forms.DateTimeInput(attrs=DATETIME), input_formats=DT_FORMATS
    )
    end_at = forms.DateTimeField(
        label=_("结束时间"), widget=forms.DateTimeInput(attrs=DATETIME), input_formats=DT_FORMATS
    )
    capacity = forms.IntegerField(label=_("名额"), min_value=1, max_value=300)
    trainer_name = forms.CharField(label=_("培训讲师"), max_length=60)


class CourseForm(forms.Form):
    code = forms.SlugField(label=_("课程编号（英文）"), max_length=40)
    title = forms.CharField(label=_("课程名称"), max_length=80)
    certification_kind = forms.ChoiceField(label=_("授予资质"), choices=CertificationKind.choices)
    validity_months = forms.IntegerField(label=_("有效期（月）"), min_value=1, max_value=120)
    hours = forms.DecimalField(label=_("学时"), min_value=0.5, max_value=200, decimal_places=1)
    description = forms.CharField(
        label=_("课程内容"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class MarkForm(forms.Form):
    attended = forms.BooleanField(label=_("出勤"), required=False)
    result = forms.ChoiceField(label=_("考核结果"), choices=TrainingResult.choices)


class CertificationForm(forms.Form):
    kind = forms.ChoiceField(label=_("资质类别"), choices=CertificationKind.choices)
    issued_on = forms.DateField(label=_("发证日期"), widget=_date())
    expires_on = forms.DateField(label=_("有效期至"), widget=_date())
    source = forms.CharField(label=_("发证机构/来源"), max_length=120, required=False)


class InsuranceForm(forms.Form):
    insurer = forms.CharField(label=_("保险公司"), max_length=80)
    policy_number = forms.CharField(label=_("保单号"), max_length=60)
    valid_from = forms.DateField(label=_("生效日期"), widget=_date())
    valid_to = forms.DateField(label=_("到期日期"), widget=_date())


class RecruitmentForm(forms.Form):
    channel = forms.ChoiceField(label=_("招募渠道"), choices=RecruitmentChannel.choices)
    organisation = forms.CharField(label=_("学校/律所/单位"), max_length=100, required=False)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class OutreachForm(_WithQuerysets):
    elder_id = forms.IntegerField(
        label=_("已登记长者编号"),
        required=False,
        min_value=1,
        help_text=_("已登记的长者：填编号或用上方查找。尚未登记的住户：不填编号，填写地址。"),
    )
    household_address = forms.CharField(label=_("新住户地址"), max_length=200, required=False)
    community = forms.ModelChoiceField(
        label=_("新住户所在社区"), queryset=Community.objects.none(), required=False
    )
    contact_name = forms.CharField(label=_("称呼（如：王阿姨）"), max_length=40, required=False)
    visited_on = forms.DateField(label=_("走访日期"), widget=_date())
    companions = forms.CharField(label=_("同行人员"), max_length=120, required=False)
    outcome = forms.ChoiceField(label=_("走访结果"), choices=OutreachOutcome.choices)
    interest_homeshare = forms.BooleanField(label=_("有意参加“幸福同行”"), required=False)
    interest_mutual_aid = forms.BooleanField(label=_("有意参加互助服务"), required=False)
    interest_sos_device = forms.BooleanField(label=_("有意安装紧急呼叫设备"), required=False)
    follow_up_on = forms.DateField(label=_("计划回访日期"), widget=_date(), required=False)
    notes = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ScreeningForm(forms.Form):
    """Built from the questionnaire table, so the page, the API and the scoring share one definition."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for q in screening.QUESTIONS:
            required = q["id"] in screening.REQUIRED
            if q["type"] == "multi":
                self.fields[q["id"]] = forms.MultipleChoiceField(
                    label=q["label"],
                    choices=q["options"],
                    required=False,
                    widget=forms.CheckboxSelectMultiple,
                )
            else:
                choices = q["options"] if required else [("", "—"), *q["options"]]
                self.fields[q["id"]] = forms.ChoiceField(label=q["label"], choices=choices, required=required)

    def answers(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if v not in ("", None)}


class LinkElderForm(forms.Form):
    elder_id = forms.IntegerField(label=_("长者编号"), min_value=1)


class YouthSurveyForm(_WithQuerysets):
    respondent_kind = forms.ChoiceField(label=_("身份"), choices=VolunteerKind.choices)
    channel = forms.ChoiceField(label=_("接触渠道"), choices=RecruitmentChannel.choices)
    community = forms.ModelChoiceField(label=_("登记社区"), queryset=Community.objects.none(), required=False)
    organisation = forms.CharField(label=_("学校/律所/单位"), max_length=100, required=False)
    age = forms.IntegerField(label=_("年龄"), required=False, min_value=16, max_value=45)
    interests = forms.MultipleChoiceField(
        label=_("意向"), choices=YouthInterest.choices, widget=forms.CheckboxSelectMultiple
    )
    hours_per_week = forms.IntegerField(label=_("每周可投入小时"), min_value=0, max_value=40, initial=2)
    contact_name = forms.CharField(label=_("称呼"), max_length=40, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    consent_to_contact = forms.BooleanField(label=_("本人同意后续联系"), required=False)


class CaseForm(_WithQuerysets):
    title = forms.CharField(label=_("标题"), max_length=80)
    kind = forms.ChoiceField(label=_("类别"), choices=CaseKind.choices)
    community = forms.ModelChoiceField(label=_("社区"), queryset=Community.objects.none())
    source_ref = forms.CharField(
        label=_("来源记录"),
        max_length=120,
        required=False,
        help_text=_("例如：互助需求 #12、幸福同行配对 #3。"),
    )
    summary = forms.CharField(label=_("摘要"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))
    body = forms.CharField(label=_("正文"), required=False, widget=forms.Textarea(attrs={"rows": 8}))
    hours = forms.DecimalField(label=_("服务时长（小时）"), required=False, min_value=0, decimal_places=1)
    outcome = forms.CharField(label=_("成效"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    person_ids = forms.CharField(
        label=_("涉及人员编号"),
        required=False,
        help_text=_("用户编号，用逗号分隔。发布时这些人的姓名会被遮盖。"),
    )
    quotes = forms.CharField(
        label=_("引述"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("每行一条，格式：人员编号|原话；不确定说话人时只写原话。"),
    )

    def clean_person_ids(self) -> list[int]:
        raw = self.cleaned_data.get("person_ids") or ""
        ids = []
        for part in raw.replace("，", ",").replace(" ", ",").split(","):
            if part.strip():
                if not part.strip().isdigit():
                    raise forms.ValidationError(_("人员编号应为数字。"))
                ids.append(int(part.strip()))
        return ids

    def clean_quotes(self) -> list[dict[str, Any]]:
        quotes = []
        for line in (self.cleaned_data.get("quotes") or "").splitlines():
            if not line.strip():
                continue
            speaker, sep, text = line.partition("|")
            if sep and speaker.strip().isdigit():
                quotes.append({"speaker_id": int(speaker.strip()), "text": text.strip()})
            else:
                quotes.append({"speaker_id": None, "text": line.strip()})
        return quotes


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("审核结果"), choices=[("approve", _("发布")), ("return", _("退回修改"))]
    )
    note = forms.CharField(label=_("审核意见"), max_length=300, required=False)
