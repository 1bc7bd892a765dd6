from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shiguang.legal.choices import ConsultationOutcome, ConsultationTopic, MediationOutcome

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ClauseForm(forms.Form):
    key = forms.SlugField(label=_("条款标识（英文）"), max_length=60)
    title = forms.CharField(label=_("标题"), max_length=100)
    element = forms.ChoiceField(label=_("对应的核心要件"), required=False)
    position = forms.IntegerField(label=_("顺序"), min_value=0, max_value=1000)
    text = forms.CharField(
        label=_("条款文本（可使用下方的占位符）"), widget=forms.Textarea(attrs={"rows": 8})
    )
    note = forms.CharField(label=_("修改说明"), max_length=200)

    def __init__(
        self, *args: object, elements: dict | None = None, fixed_key: bool = False, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        choices = [("", "—"), *((k, str(v)) for k, v in (elements or {}).items())]
        self.fields["element"].choices = choices  # type: ignore[attr-defined]
        if fixed_key:
            self.fields["key"].disabled = True


class ConsultationForm(forms.Form):
    topic = forms.ChoiceField(label=_("类别"), choices=ConsultationTopic.choices)
    question = forms.CharField(label=_("您的问题"), widget=forms.Textarea(attrs={"rows": 4}))


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("解答"), widget=forms.Textarea(attrs={"rows": 6}))
    outcome = forms.ChoiceField(label=_("处理结果"), choices=ConsultationOutcome.choices)
    notes = forms.CharField(
        label=_("内部备注（咨询人看不到）"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    close = forms.BooleanField(label=_("同时结案"), required=False)


class DecideForm(forms.Form):
    notes = forms.CharField(
        label=_("审核意见（退回时必填）"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class SessionForm(forms.Form):
    held_at = forms.DateTimeField(label=_("调解时间"), widget=DATETIME)
    attendees = forms.CharField(label=_("参加人员"), max_length=300)
    summary = forms.CharField(label=_("调解经过"), widget=forms.Textarea(attrs={"rows": 4}))
    agreed_actions = forms.CharField(
        label=_("商定事项"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    next_session_at = forms.DateTimeField(label=_("下次调解（如有）"), required=False, widget=DATETIME)


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(label=_("调解结果"), choices=MediationOutcome.choices)
    note = forms.CharField(label=_("结果说明"), widget=forms.Textarea(attrs={"rows": 3}))
