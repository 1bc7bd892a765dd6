from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shiguang.assistant.choices import ArticleCategory


class MessageForm(forms.Form):
    # No max_length: a very long message gets a polite answer (the service reads the first 500 characters).
    text = forms.CharField(
        label=_("您想说什么"),
        required=False,
        strip=False,
        widget=forms.Textarea(
            attrs={
                "rows": 2,
                "autocomplete": "off",
                "placeholder": _("例如：明天上午帮我买菜"),
                "enterkeyhint": "send",
            }
        ),
    )
    conversation = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    new = forms.BooleanField(required=False, widget=forms.HiddenInput)


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=120)
    category = forms.ChoiceField(label=_("分类"), choices=ArticleCategory.choices)
    tags = forms.CharField(
        label=_("关键词"),
        max_length=200,
        required=False,
        help_text=_("用逗号分开。长者常说的叫法也写上，检索更准，例如：时间币, 积分, 兑换"),
    )
    body = forms.CharField(
        label=_("正文"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("每段之间空一行。AI助手回答时引用最相关的一段，所以每段最好能单独读懂。"),
    )
    published = forms.BooleanField(label=_("发布（AI助手可以引用）"), required=False, initial=True)
