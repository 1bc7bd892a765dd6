from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction
from tqdm import tqdm

from shiguang.core import crypto
from shiguang.core.fields import EncryptedTextField


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field under the newest key in FIELD_ENCRYPTION_KEYS. "
        "Run after prepending a new key; then the old key can be removed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        for model in apps.get_models():
            fields = [f for f in model._meta.fields if isinstance(f, EncryptedTextField)]
            if not fields:
                continue
            names = [f.attname for f in fields]
            qs = model._default_manager.all().values_list("pk", *names)
            for row in tqdm(
                qs.iterator(chunk_size=500), desc=model._meta.label, total=qs.count(), file=self.stderr
            ):
                pk, values = row[0], row[1:]
                # Values are plaintext (decrypted on read); update() re-encrypts under key 0.
                with transaction.atomic():
                    model._default_manager.filter(pk=pk).update(
                        **{n: v for n, v in zip(names, values, strict=True) if v}
                    )
                total += 1
        crypto._fernet.cache_clear()
        self.stdout.write(self.style.SUCCESS(f"re-encrypted {total} rows under the newest key"))
