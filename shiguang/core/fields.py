"""Encrypted model fields with an optional blind index for exact lookup."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models

from shiguang.core import crypto


class EncryptedTextField(models.TextField):
    """Stores Fernet ciphertext; Python code sees plaintext. Not filterable: use the blind index."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value))

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name not in ("isnull",):
            raise TypeError(f"Encrypted field {self.name!r} cannot be filtered with {lookup_name!r}")
        return super().get_lookup(lookup_name)


class BlindIndexField(models.CharField):
    """HMAC of a normalised source field, recomputed on every save."""

    def __init__(
        self, *args: Any, source: str = "", normalize: Callable[[str], str] | None = None, **kwargs: Any
    ) -> None:
        self.source = source
        self.normalize = normalize
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        for key in ("editable", "blank", "db_index"):
            kwargs.pop(key, None)
        if kwargs.get("max_length") == 64:
            kwargs.pop("max_length")
        return name, path, args, kwargs

    def index_for(self, value: str | None) -> str:
        if not value:
            return ""
        normalized = self.normalize(value) if self.normalize else value
        return crypto.blind_index(normalized, purpose=f"{self.model._meta.label_lower}.{self.source}")

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = self.index_for(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value
