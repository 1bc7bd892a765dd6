"""The agreement as a PDF: the signed text exactly as hashed, then the signature record."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext as _

from shiguang.core import clock
from shiguang.core.pdf import Section, render_pdf
from shiguang.homeshare import agreements, services
from shiguang.homeshare.choices import AgreementStatus
from shiguang.homeshare.models import AgreementVersion


def agreement_pdf(version: AgreementVersion) -> bytes:
    if version.rendered_text:
        text, sha = version.rendered_text, version.sha256
    else:  # a draft: show what it would say, clearly marked
        rendered = services.agreement_render(version)
        text, sha = rendered.text, ""
    title, subtitle, clauses = agreements.sections_from_text(text)
    sections = [Section(heading, body.split("\n")) for heading, body in clauses]
    status = str(version.get_status_display())
    if version.status == AgreementStatus.DRAFT:
        subtitle = f"{subtitle}　【{_('草稿，未定稿，不可签署')}】"
    elif version.status == AgreementStatus.SUPERSEDED:
        subtitle = f"{subtitle}　【{_('已被新版本替代')}】"
    record = [
        _("%(role)s：%(name)s（账户 %(account)s），%(method)s，签署于 %(at)s，所签文本SHA-256：%(sha)s")
        % {
            "role": s.get_role_display(),
            "name": s.signer,
            "account": s.account,
            "method": s.get_method_display(),
            "at": clock.local(s.signed_at).strftime("%Y-%m-%d %H:%M"),
            "sha": s.document_sha256,
        }
        for s in version.signatures.select_related("signer")
    ]
    if not record:
        record = [_("尚无签署。")]
    sections.append(Section(_("签署记录（状态：%(s)s）") % {"s": status}, record))
    footer = f"SHA-256 {sha}" if sha else _("草稿")
    return render_pdf(
        title=title, subtitle=subtitle, sections=sections, footer=footer, author=str(version.match)
    )


def pdf_response(version: AgreementVersion) -> HttpResponse:
    data = agreement_pdf(version)
    response = HttpResponse(data, content_type="application/pdf")
    name = f"agreement-{version.match_id}-v{version.number}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response
