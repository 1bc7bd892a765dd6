# The five standard volunteer courses, and the expiry-reminder date of certifications recorded before it existed.

import datetime as dt

from django.db import migrations

COURSES = [
    (
        "elder-care-basics",
        "为老服务基础",
        "elder_care_basics",
        24,
        "4.0",
        "老年人身心特点、沟通技巧（含粤语常用语）、尊重与隐私、服务礼仪、时间银行记录规范。",
    ),
    (
        "safe-home-visits",
        "安全入户",
        "home_visit_safety",
        12,
        "3.0",
        "入户前确认与报备、两人同行、现场风险识别（燃气、用电、防滑）、不收财物、异常情况上报。",
    ),
    (
        "fall-response",
        "跌倒应急与急救",
        "fall_response",
        12,
        "6.0",
        "跌倒评估、不要强行扶起、心肺复苏与AED、拨打120与紧急呼叫平台配合、事后记录。",
    ),
    (
        "anti-fraud",
        "防诈骗宣传",
        "anti_fraud",
        24,
        "2.0",
        "常见养老诈骗（保健品、以房养老、冒充公检法）、识别话术、如何向长者讲解与报警。",
    ),
    (
        "digital-help",
        "数码帮助",
        "digital_help",
        24,
        "3.0",
        "智能手机基础、健康码与医保电子凭证、视频通话、防诈骗设置、耐心教学方法。",
    ),
]


def seed(apps, schema_editor):
    Course = apps.get_model("community", "Course")
    for code, title, kind, months, hours, description in COURSES:
        Course.objects.update_or_create(
            code=code,
            defaults={
                "title": title,
                "certification_kind": kind,
                "validity_months": months,
                "hours": hours,
                "description": description,
            },
        )
    Certification = apps.get_model("community", "Certification")
    for cert in Certification.objects.filter(remind_on__isnull=True):
        cert.remind_on = cert.expires_on - dt.timedelta(days=30)
        cert.save(update_fields=["remind_on"])


def unseed(apps, schema_editor):
    Course = apps.get_model("community", "Course")
    Course.objects.filter(code__in=[c[0] for c in COURSES], sessions__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("community", "0002_activities_training_outreach_cases")]

    operations = [migrations.RunPython(seed, unseed)]
