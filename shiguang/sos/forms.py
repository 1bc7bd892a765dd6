from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from shiguang.sos.choices import Audience, DeviceKind, DutyRole, Outcome
from shiguang.sos.policy import MAX_TIERS, external_channels

SERVICE_CHOICES = [
    ("medical_escort", _("陪同看病")),
    ("shopping", _("买菜代购")),
    ("housework", _("家务帮忙")),
    ("repair", _("家里东西坏了")),
    ("companionship", _("想找人聊聊")),
    ("other", _("其他需要")),
]


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(label=_("处理结果"), choices=Outcome.choices)
    note = forms.CharField(
        label=_("说明"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class NoteForm(forms.Form):
    text = forms.CharField(label=_("备注"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class RevealForm(forms.Form):
    purpose = forms.CharField(label=_("查看原因"), max_length=200, initial=_("上门救助/报警需要地址"))


class RaiseForm(forms.Form):
    elder = forms.ChoiceField(label=_("长者"))
    note = forms.CharField(label=_("情况说明（来电内容）"), max_length=300, required=False)
    drill = forms.BooleanField(label=_("这是演练（不计入考核）"), required=False)

    def __init__(self, *args: Any, elders: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["elder"]).choices = [("", "—")] + [(str(i), n) for i, n in elders]


class ShiftForm(forms.Form):
    role = forms.ChoiceField(label=_("值班类型"), choices=DutyRole.choices)
    person = forms.ChoiceField(label=_("值班人"))
    community = forms.ChoiceField(label=_("社区"), required=False)
    starts_at = forms.DateTimeField(
        label=_("开始"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    ends_at = forms.DateTimeField(
        label=_("结束"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    note = forms.CharField(label=_("备注"), max_length=120, required=False)

    def __init__(
        self,
        *args: Any,
        people: list[tuple[int, str]],
        communities: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["person"]).choices = [("", "—")] + [
            (str(i), n) for i, n in people
        ]
        cast(forms.ChoiceField, self.fields["community"]).choices = [("", _("（街道值班不需选择社区）"))] + [
            (str(i), n) for i, n in communities
        ]
        cast(forms.DateTimeField, self.fields["starts_at"]).input_formats = [
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M",
        ]
        cast(forms.DateTimeField, self.fields["ends_at"]).input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


class DeviceForm(forms.Form):
    elder = forms.ChoiceField(label=_("长者"))
    kind = forms.ChoiceField(label=_("类型"), choices=DeviceKind.choices)
    label = forms.CharField(label=_("名称（可选）"), max_length=60, required=False)

    def __init__(self, *args: Any, elders: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["elder"]).choices = [("", "—")] + [(str(i), n) for i, n in elders]


class PlanForm(forms.Form):
    deadline = forms.TimeField(
        label=_("每天几点前报平安"),
        initial=dt.time(10, 0),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )


class StaffPlanForm(PlanForm):
    elder = forms.ChoiceField(label=_("长者"))

    field_order = ["elder", "deadline"]

    def __init__(self, *args: Any, elders: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["elder"]).choices = [("", "—")] + [(str(i), n) for i, n in elders]


class ReviewCloseForm(forms.Form):
    findings = forms.CharField(label=_("复盘结论"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    actions = forms.CharField(
        label=_("改进措施"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class PolicyForm(forms.Form):
    review_after_seconds = forms.IntegerField(
        label=_("超过多少秒未受理即开启复盘"), min_value=1, max_value=3600
    )
    volunteer_radius_m = forms.IntegerField(
        label=_("通知多远以内的志愿者（米）"), min_value=100, max_value=20000
    )
    max_volunteers = forms.IntegerField(label=_("每次最多通知几位志愿者"), min_value=1, max_value=50)
    reveal_address_to = forms.MultipleChoiceField(
        label=_("可直接查看完整地址的响应人（受理人总可查看）"),
        choices=Audience.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    checkin_alarm_after = forms.IntegerField(
        label=_("连续几天未报平安后按呼救升级"), min_value=1, max_value=30
    )
    checkin_deadline_factor = forms.IntegerField(label=_("报平安升级的时限倍数"), min_value=1, max_value=100)
    repeat_seconds = forms.IntegerField(label=_("最后一级后每隔多少秒再提醒"), min_value=1, max_value=3600)
    max_repeats = forms.IntegerField(label=_("再提醒次数"), min_value=0, max_value=20)
    note = forms.CharField(label=_("修改说明"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        channels = [("", _("仅站内消息"))] + [(c, c) for c in external_channels()]
        for i in range(MAX_TIERS):
            required = i == 0
            self.fields[f"tier{i}_audience"] = forms.ChoiceField(
                label=_("第%(n)s级 通知对象") % {"n": i + 1},
                choices=[("", "—"), *Audience.choices],
                required=required,
            )
            self.fields[f"tier{i}_deadline"] = forms.IntegerField(
                label=_("第%(n)s级 截止（呼救后第几秒）") % {"n": i + 1}, min_value=1, required=required
            )
            self.fields[f"tier{i}_channel"] = forms.ChoiceField(
                label=_("第%(n)s级 渠道") % {"n": i + 1}, choices=channels, required=False
            )
            self.fields[f"tier{i}_fallback"] = forms.ChoiceField(
                label=_("第%(n)s级 备用渠道") % {"n": i + 1}, choices=channels, required=False
            )

    @staticmethod
    def initial_from(policy: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "review_after_seconds": policy.review_after_seconds,
            "volunteer_radius_m": policy.volunteer_radius_m,
            "max_volunteers": policy.max_volunteers,
            "reveal_address_to": policy.reveal_address_to,
            "checkin_alarm_after": policy.checkin_alarm_after,
            "checkin_deadline_factor": policy.checkin_deadline_factor,
            "repeat_seconds": policy.repeat_seconds,
            "max_repeats": policy.max_repeats,
        }
        for i, tier in enumerate(policy.tiers):
            data[f"tier{i}_audience"] = tier.get("audience", "")
            data[f"tier{i}_deadline"] = tier.get("deadline_seconds")
            data[f"tier{i}_channel"] = tier.get("channel", "")
            data[f"tier{i}_fallback"] = tier.get("fallback_channel", "")
        return data

    def tiers(self) -> list[dict[str, Any]]:
        rows = []
        for i in range(MAX_TIERS):
            audience = self.cleaned_data.get(f"tier{i}_audience")
            if not audience:
                continue
            rows.append(
                {
                    "audience": audience,
                    "deadline_seconds": self.cleaned_data.get(f"tier{i}_deadline"),
                    "channel": self.cleaned_data.get(f"tier{i}_channel") or "",
                    "fallback_channel": self.cleaned_data.get(f"tier{i}_fallback") or "",
                }
            )
        return rows

    def tier_rows(self) -> list[list[Any]]:
        return [
            [
                self[f"tier{i}_audience"],
                self[f"tier{i}_deadline"],
                self[f"tier{i}_channel"],
                self[f"tier{i}_fallback"],
            ]
            for i in range(MAX_TIERS)
        ]
