"""Many rows in one INSERT, for the hot write paths (time-bank group commit, audit events, outbox rows).

On PostgreSQL the rows go in as one `INSERT ... SELECT * FROM unnest(typed arrays)`, read straight from the
instances' attributes: no per-field `pre_save`/`get_db_prep_save` round, which is most of `bulk_create`'s
cost for a few dozen small rows. Elsewhere (SQLite) it is `bulk_create`. Generated ids are set on the
instances, in order (like `bulk_create`); with `ignore_conflicts` they are not (skipped rows have none).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models

_SQL_CACHE: dict[tuple[Any, ...], str] = {}


def _columns(model: type[models.Model], with_pk: bool) -> list[models.Field[Any, Any]]:
    return [
        f
        for f in model._meta.concrete_fields
        if with_pk or not f.primary_key  # type: ignore[attr-defined]
    ]


def _sql(
    model: type[models.Model],
    fields: Sequence[models.Field[Any, Any]],
    ignore_conflicts: bool,
    returning: bool,
) -> str:
    key = (model, tuple(f.attname for f in fields), ignore_conflicts, returning)
    sql = _SQL_CACHE.get(key)
    if sql is None:
        qn = connection.ops.quote_name
        columns = ", ".join(qn(f.column) for f in fields)
        arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
        # identifiers and types come from the model; every value is a parameter
        sql = f"INSERT INTO {qn(model._meta.db_table)} ({columns}) SELECT * FROM unnest({arrays})"  # noqa: S608
        if ignore_conflicts:
            sql += " ON CONFLICT DO NOTHING"
        if returning:
            sql += f" RETURNING {qn(model._meta.pk.column)}"
        _SQL_CACHE[key] = sql
    return sql


def _value(field: models.Field[Any, Any], obj: models.Model) -> Any:
    value = getattr(obj, field.attname)
    if isinstance(field, models.JSONField) and value is not None:
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    return value


def insert(objs: Sequence[models.Model], *, with_pk: bool = False, ignore_conflicts: bool = False) -> None:
    """INSERT the unsaved instances (all of one model) in one statement. `with_pk`: their ids are set."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs, ignore_conflicts=ignore_conflicts)
        return
    fields = _columns(model, with_pk)
    if with_pk and any(obj.pk is None for obj in objs):
        raise ValueError("insert(with_pk=True) needs every id set")
    params = [[_value(f, obj) for obj in objs] for f in fields]
    returning = not with_pk and not ignore_conflicts
    with connection.cursor() as cursor:
        cursor.execute(_sql(model, fields, ignore_conflicts, returning), params)
        if returning:  # rows come back in insertion order, as bulk_create relies on too
            for obj, row in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = row[0]
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
