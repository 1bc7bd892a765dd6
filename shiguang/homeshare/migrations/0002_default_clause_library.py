"""Seed the legal clause library with the homeshare agreement's core-element clauses (version 1).

The texts (agreements.DEFAULT_CLAUSES) are the legal centre's starting set; legal advisors edit them on
/legal/clauses/, where each edit adds a version (rows that already exist are left alone).
"""

from django.db import migrations

from shiguang.homeshare.agreements import DEFAULT_CLAUSES


def seed(apps, schema_editor):
    Clause = apps.get_model("legal", "Clause")
    for position, (key, element, title, text) in enumerate(DEFAULT_CLAUSES, start=1):
        if not Clause.objects.filter(domain="homeshare", key=key).exists():
            Clause.objects.create(
                domain="homeshare",
                key=key,
                version=1,
                position=position * 10,
                element=element,
                title=title,
                text=text,
                is_current=True,
                change_note="初始条款（仁和长者法律服务中心研制的核心要件）",
            )


def unseed(apps, schema_editor):
    Clause = apps.get_model("legal", "Clause")
    Clause.objects.filter(domain="homeshare", version=1, created_by__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("homeshare", "0001_homeshare_pilot"),
        ("legal", "0001_legal_centre_records"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
