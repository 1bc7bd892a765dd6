from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shiguang.accounts.choices import ConsentCategory, ConsentMethod
from shiguang.accounts.validators import validate_id_number, validate_phone
from shiguang.people.choices import (
    LANGUAGES,
    SKILLS,
    FamilyRelation,
    Gender,
    Hukou,
    LivingArrangement,
    VolunteerKind,
)
from shiguang.places.models import Community


class ElderForm(forms.Form):
    community = forms.ModelChoiceField(label=_("社区"), queryset=Community.objects.none())
    name = forms.CharField(label=_("姓名"), max_length=60)
    gender = forms.ChoiceField(label=_("性别"), choices=Gender.choices)
    birth_date = forms.DateField(label=_("出生日期"), widget=forms.DateInput(attrs={"type": "date"}))
    living_arrangement = forms.ChoiceField(label=_("居住状况"), choices=LivingArrangement.choices)
    hukou = forms.ChoiceField(label=_("户籍类型"), choices=Hukou.choices)
    languages = forms.MultipleChoiceField(
        label=_("语言/方言"), choices=LANGUAGES, required=False, widget=forms.CheckboxSelectMultiple
    )
    phone = forms.CharField(
        label=_("手机号（没有手机可留空）"), max_length=20, required=False, validators=[validate_phone]
    )
    password = forms.CharField(
        label=_("初始密码（有手机时填写）"), required=False, widget=forms.PasswordInput, min_length=8
    )
    id_number = forms.CharField(
        label=_("身份证号"), max_length=20, required=False, validators=[validate_id_number]
    )
    address = forms.CharField(label=_("家庭住址"), max_length=200, required=False)
    home_lat = forms.FloatField(label=_("大致纬度"), required=False)
    home_lng = forms.FloatField(label=_("大致经度"), required=False)
    health_notes = forms.CharField(
        label=_("健康备注"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: object, communities: object = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if communities is not None:
            self.fields["community"].queryset = communities  # type: ignore[attr-defined]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("phone") and not data.get("password"):
            self.add_error("password", _("有手机号时请设置初始密码，长者可用手机号登录。"))
        return data


class RevealForm(forms.Form):
    field = forms.ChoiceField(
        choices=[
            ("id_number", _("身份证号")),
            ("phone", _("手机号")),
            ("address", _("住址")),
            ("health_notes", _("健康备注")),
        ]
    )
    purpose = forms.CharField(label=_("查看原因"), max_length=200)


class ContactForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=60)
    relation = forms.ChoiceField(label=_("关系"), choices=FamilyRelation.choices)
    phone = forms.CharField(label=_("电话"), max_length=20, validators=[validate_phone])


class ProxyConsentForm(forms.Form):
    category = forms.ChoiceField(label=_("类别"), choices=ConsentCategory.choices)
    method = forms.ChoiceField(
        label=_("方式"), choices=[c for c in ConsentMethod.choices if c[0] != ConsentMethod.ONLINE]
    )
    note = forms.CharField(label=_("备注（如纸质文件编号）"), max_length=200, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel 名单（.xlsx）"))
    valid_only = forms.BooleanField(label=_("只导入无误的行（有错的行跳过）"), required=False)
    dry_run = forms.BooleanField(label=_("只检查，不导入"), required=False, initial=True)


class VolunteerSignupForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=60)
    phone = forms.CharField(label=_("手机号"), max_length=20, validators=[validate_phone])
    password = forms.CharField(label=_("密码（至少8位）"), widget=forms.PasswordInput, min_length=8)
    gender = forms.ChoiceField(label=_("性别"), choices=Gender.choices)
    kind = forms.ChoiceField(label=_("我是"), choices=VolunteerKind.choices)
    community = forms.ModelChoiceField(
        label=_("常驻社区"), queryset=Community.objects.select_related("street")
    )
    skills = forms.MultipleChoiceField(
        label=_("我能提供的帮助"), choices=SKILLS, required=False, widget=forms.CheckboxSelectMultiple
    )
    languages = forms.MultipleChoiceField(
        label=_("语言"), choices=LANGUAGES, required=False, widget=forms.CheckboxSelectMultiple
    )


class FamilySignupForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=60)
    phone = forms.CharField(label=_("手机号"), max_length=20, validators=[validate_phone])
    password = forms.CharField(label=_("密码（至少8位）"), widget=forms.PasswordInput, min_length=8)


class FamilyLinkForm(forms.Form):
    phone = forms.CharField(
        label=_("家属的手机号（家属需先注册）"), max_length=20, validators=[validate_phone]
    )
    relation = forms.ChoiceField(label=_("关系"), choices=FamilyRelation.choices)
