"""Load the starting knowledge base (programme, time bank, homeshare, legal services, stations, anti-scam)."""

from django.db import migrations


def seed(apps, schema_editor):
    from shiguang.assistant.knowledge_seed import seed_articles

    seed_articles(apps.get_model("assistant", "KnowledgeArticle"))


def unseed(apps, schema_editor):
    from shiguang.assistant.knowledge_seed import ARTICLES

    article = apps.get_model("assistant", "KnowledgeArticle")
    article.objects.filter(key__in=[row[0] for row in ARTICLES], updated_by__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("assistant", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
    ]
