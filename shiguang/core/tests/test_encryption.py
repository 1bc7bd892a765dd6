from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from shiguang.core import crypto
from shiguang.people.models import ElderProfile
from shiguang.people.selectors import elder_list, find_elder_by_id_number


def raw_row(table: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [pk])
        return " ".join(str(v) for v in cursor.fetchone())


def test_no_plaintext_id_phone_or_address_in_database(elder_a):
    elder_row = raw_row("people_elderprofile", elder_a.pk)
    user_row = raw_row("accounts_user", elder_a.user_id)
    assert elder_a.id_number not in elder_row
    assert "南园街道测试路" not in elder_row
    assert "高血压" not in elder_row
    assert "13800138001" not in user_row
    # ...yet the application reads them back.
    fresh = ElderProfile.objects.select_related("user").get(pk=elder_a.pk)
    assert fresh.address.startswith("深圳市福田区")
    assert fresh.user.phone == "13800138001"


def test_blind_index_finds_elder_by_id_number_and_phone(elder_a, worker_a):
    assert find_elder_by_id_number(elder_a.id_number.lower()) == elder_a
    assert list(elder_list(worker_a, query="138 0013 8001")) == [elder_a]
    assert list(elder_list(worker_a, query=elder_a.id_number)) == [elder_a]


def test_wrong_key_raises_instead_of_returning_ciphertext(elder_a, settings):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(crypto.DecryptionError):
        ElderProfile.objects.get(pk=elder_a.pk)


def test_key_rotation_keeps_data_readable(elder_a, settings):
    from django.core.management import call_command

    old = list(settings.FIELD_ENCRYPTION_KEYS)
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *old]
    call_command("rotate_field_keys", verbosity=0)
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # old key retired
    assert ElderProfile.objects.get(pk=elder_a.pk).health_notes == "高血压"


def test_encrypted_field_cannot_be_filtered():
    with pytest.raises(TypeError):
        ElderProfile.objects.filter(address__icontains="南园")
