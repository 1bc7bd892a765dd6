from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shiguang.aid.choices import Category, DisputeOutcome, PreferredGender, Urgency
from shiguang.aid.models import MAX_DURATION_MINUTES

DURATION_CHOICES = [
    (30, _("半小时")),
    (60, _("1小时")),
    (90, _("1个半小时")),
    (120, _("2小时")),
    (180, _("3小时")),
    (240, _("4小时")),
    (360, _("6小时")),
    (480, _("8小时")),
]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class RequestConfirmForm(forms.Form):
    """The last step of the elder's flow: everything has a default, so one tap on “确认求助” is enough."""

    description = forms.CharField(
        label=_("还想说明什么（可不填）"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    duration_minutes = forms.TypedChoiceField(label=_("大约需要多久"), choices=DURATION_CHOICES, coerce=int)
    place = forms.CharField(
        label=_("在哪里（不填就是在家里）"),
        required=False,
        max_length=200,
        help_text=_("例如：福田区人民医院门诊楼"),
    )
    start_at = forms.DateTimeField(label=_("开始时间"), required=False, widget=DateTimeLocalInput())
    end_at = forms.DateTimeField(label=_("最晚到（可不填）"), required=False, widget=DateTimeLocalInput())


class RequestFullForm(forms.Form):
    """The API's fields as a form, for workers who enter requests from a phone call."""

    category = forms.ChoiceField(label=_("类别"), choices=Category.choices)
    urgency = forms.ChoiceField(label=_("什么时候"), choices=Urgency.choices)
    description = forms.CharField(
        label=_("说明"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    start_at = forms.DateTimeField(label=_("开始时间（可不填）"), required=False, widget=DateTimeLocalInput())
    end_at = forms.DateTimeField(label=_("最晚到（可不填）"), required=False, widget=DateTimeLocalInput())
    duration_minutes = forms.IntegerField(label=_("预计时长（分钟）"), initial=60)
    place = forms.CharField(label=_("地点（不填为长者家中）"), required=False, max_length=200)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class CodeCheckInForm(forms.Form):
    code = forms.CharField(
        label=_("长者手机上的6位签到码"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]{6}"}
        ),
    )


class GeoCheckInForm(forms.Form):
    lat = forms.FloatField(widget=forms.HiddenInput, required=False)
    lng = forms.FloatField(widget=forms.HiddenInput, required=False)
    accuracy_m = forms.FloatField(widget=forms.HiddenInput, required=False)


class CheckOutForm(forms.Form):
    summary = forms.CharField(
        label=_("这次做了什么"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    photo = forms.FileField(
        label=_("照片（可不传；JPG/PNG/WebP，5MB以内）"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )


class ConfirmForm(forms.Form):
    minutes = forms.IntegerField(label=_("确认服务时长（分钟）"), min_value=1, max_value=MAX_DURATION_MINUTES)


class RateForm(forms.Form):
    score = forms.TypedChoiceField(choices=[(i, str(i)) for i in range(1, 6)], coerce=int)
    comment = forms.CharField(label=_("想说的话（可不填）"), required=False, max_length=300)


class OfferForm(forms.Form):
    categories = forms.MultipleChoiceField(
        label=_("我可以提供"), choices=Category.choices, widget=forms.CheckboxSelectMultiple
    )
    available_from = forms.DateTimeField(label=_("从"), widget=DateTimeLocalInput())
    available_to = forms.DateTimeField(label=_("到"), widget=DateTimeLocalInput())
    place = forms.CharField(label=_("服务区域（如：南园街道一带）"), required=False, max_length=200)
    radius_km = forms.FloatField(label=_("最远愿意去多远（公里）"), initial=2.0, min_value=0.5, max_value=20)
    note = forms.CharField(label=_("备注"), required=False, max_length=300)


class PreferenceForm(forms.Form):
    volunteer_gender = forms.ChoiceField(
        label=_("希望由哪位志愿者上门"),
        choices=PreferredGender.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("给志愿者的话（可不填）"), required=False, max_length=200)


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(label=_("处理结果"), choices=DisputeOutcome.choices, widget=forms.RadioSelect)
    minutes = forms.IntegerField(
        label=_("记入时长（分钟，选“确认服务”时填写）"),
        required=False,
        min_value=1,
        max_value=MAX_DURATION_MINUTES,
    )
    note = forms.CharField(label=_("处理说明"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))


class AssignForm(forms.Form):
    volunteer_id = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(label=_("备注（如：已电话确认）"), required=False, max_length=200)


class PolicyForm(forms.Form):
    require_insurance = forms.BooleanField(label=_("上门服务须有有效意外险"), required=False)
    checkin_radius_m = forms.IntegerField(label=_("定位签到半径（米）"), min_value=50, max_value=2000)
    max_distance_km = forms.FloatField(label=_("派单最远距离（公里）"), min_value=0.5, max_value=30)
    invite_batch = forms.IntegerField(label=_("每轮通知人数"), min_value=1, max_value=50)
    invite_minutes = forms.IntegerField(label=_("每轮响应时限（分钟）"), min_value=5, max_value=1440)
    max_rounds = forms.IntegerField(label=_("自动派单轮数"), min_value=1, max_value=10)
    max_active_tasks = forms.IntegerField(label=_("志愿者同时进行的任务上限"), min_value=1, max_value=20)


class RequirementForm(forms.Form):
    category = forms.ChoiceField(choices=Category.choices, widget=forms.HiddenInput)
    certifications = forms.MultipleChoiceField(
        label=_("所需资质"), required=False, choices=[], widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from shiguang.community.choices import CertificationKind

        super().__init__(*args, **kwargs)
        self.fields["certifications"].choices = CertificationKind.choices  # type: ignore[attr-defined]
