from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shiguang.people.choices import LivingArrangement
from shiguang.timebank.choices import HelpCategory, RedeemMode
from shiguang.timebank.models import MINUTES_PER_HOUR, TimebankPolicy

HOURS_HELP = _("可填小数，例如 0.5 表示半小时。")


def hours_field(label: Any = None, **kwargs: Any) -> forms.CharField:
    return forms.CharField(
        label=label or _("小时数"),
        max_length=12,
        help_text=kwargs.pop("help_text", HOURS_HELP),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        **kwargs,
    )


class GiveForm(forms.Form):
    to = forms.ChoiceField(label=_("转给谁"), widget=forms.RadioSelect)
    phone = forms.CharField(
        label=_("对方手机号（转给其他长者时填写）"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    hours = hours_field()
    note = forms.CharField(label=_("留言（可不填）"), required=False, max_length=200)
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, relatives: list[Any], community: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, Any]] = [
            (f"user:{u.pk}", _("我的家人：%(name)s") % {"name": u}) for u in relatives
        ]
        choices.append(("elder", _("其他符合条件的长者（按手机号）")))
        choices.append(("priority", _("捐给优先长者池")))
        if community is not None:
            choices.append(("community", _("捐给%(c)s互助池") % {"c": community}))
        to: Any = self.fields["to"]
        to.choices = choices


class RedeemForm(forms.Form):
    category = forms.ChoiceField(label=_("兑换什么服务"), choices=HelpCategory.choices)
    hours = hours_field(_("服务时长（小时）"))
    note = forms.CharField(label=_("说明（可不填）"), required=False, max_length=200)
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)


class RecordServiceForm(forms.Form):
    provider_phone = forms.CharField(
        label=_("服务者手机号"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    receiver: Any = forms.ModelChoiceField(label=_("受助长者"), queryset=None)  # type: ignore[arg-type]
    category = forms.ChoiceField(label=_("服务类别"), choices=HelpCategory.choices)
    hours = hours_field(_("服务时长（小时）"))
    source = forms.CharField(
        label=_("服务说明"), max_length=100, help_text=_("例如：驿站值班、线下陪诊（不经互助广场的服务）")
    )
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, elders: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["receiver"]
        field.queryset = elders
        field.label_from_instance = lambda e: f"{e.name}（{e.community}）"


class GrantForm(forms.Form):
    recipient: Any = forms.ModelChoiceField(label=_("发放给"), queryset=None)  # type: ignore[arg-type]
    hours = hours_field()
    reason = forms.CharField(label=_("发放理由"), max_length=300)
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, elders: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["recipient"]
        field.queryset = elders
        field.label_from_instance = lambda e: (
            f"{e.name}（{e.age()}岁 · {e.get_living_arrangement_display()}）"
        )


class ReverseForm(forms.Form):
    reason = forms.CharField(label=_("冲正原因"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class PeriodForm(forms.Form):
    start = forms.DateField(
        label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class PolicyForm(forms.Form):
    effective_from = forms.DateTimeField(
        label=_("生效时间"),
        required=False,
        help_text=_("留空表示立即生效；不能早于现在。"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    cap_hours = forms.IntegerField(label=_("个人账户上限（小时）"), min_value=1, max_value=100_000)
    elder_credit_limit_hours = forms.IntegerField(
        label=_("长者兑换服务时可透支（小时）"), min_value=0, max_value=1000, help_text=_("0 表示不可透支")
    )
    redeem_mode = forms.ChoiceField(label=_("兑换方式"), choices=RedeemMode.choices, widget=forms.RadioSelect)
    relatives_eligible = forms.BooleanField(label=_("可以转赠给家人"), required=False)
    recipient_min_age = forms.IntegerField(label=_("受赠长者最低年龄"), min_value=60, max_value=120)
    recipient_living_arrangements = forms.MultipleChoiceField(
        label=_("受赠长者居住状况（不选表示不限）"),
        choices=LivingArrangement.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    star_thresholds = forms.CharField(
        label=_("星级门槛（小时，5个，用逗号分开）"), max_length=60, help_text=_("例如 100,300,600,1000,1500")
    )
    max_service_minutes = forms.IntegerField(label=_("单次服务最长（分钟）"), min_value=15, max_value=1440)
    note = forms.CharField(label=_("修订说明"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, policy: TimebankPolicy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for category, label in HelpCategory.choices:
            self.fields[f"weight_{category}"] = forms.DecimalField(
                label=_("%(c)s：1小时折合") % {"c": label},
                min_value=0.1,
                max_value=5,
                decimal_places=2,
                widget=forms.NumberInput(attrs={"step": "0.05"}),
            )
        if not self.is_bound:
            self.initial = {
                "cap_hours": policy.cap_minutes // MINUTES_PER_HOUR,
                "elder_credit_limit_hours": policy.elder_credit_limit_minutes // MINUTES_PER_HOUR,
                "redeem_mode": policy.redeem_mode,
                "relatives_eligible": policy.relatives_eligible,
                "recipient_min_age": policy.recipient_min_age,
                "recipient_living_arrangements": policy.recipient_living_arrangements,
                "star_thresholds": ",".join(str(t) for t in policy.thresholds),
                "max_service_minutes": policy.max_service_minutes,
                **{f"weight_{c}": policy.weight(c) for c in HelpCategory.values},
            }

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        raw = [t.strip() for t in str(data["star_thresholds"]).replace("，", ",").split(",") if t.strip()]
        thresholds: list[Any] = [int(t) if t.isdigit() else t for t in raw]
        return {
            "effective_from": data.get("effective_from"),
            "weights": {c: data[f"weight_{c}"] for c in HelpCategory.values},
            "cap_hours": data["cap_hours"],
            "elder_credit_limit_hours": data["elder_credit_limit_hours"],
            "redeem_mode": data["redeem_mode"],
            "relatives_eligible": data["relatives_eligible"],
            "recipient_min_age": data["recipient_min_age"],
            "recipient_living_arrangements": list(data["recipient_living_arrangements"]),
            "star_thresholds_hours": thresholds,
            "max_service_minutes": data["max_service_minutes"],
            "note": data["note"],
        }
