"""Many rows in one statement, and several statements in one round trip, for the hot write paths (time-bank
group commit, audit events, outbox rows).

`Round` collects statements that do not depend on each other's results and sends them together: on
PostgreSQL in one psycopg pipeline (one round trip; the statements are prepared, so the hot ones are not
parsed and planned on every batch; `among()` keeps their text independent of how many ids they name);
elsewhere one by one. Its inserts carry their rows as one JSON array parameter
(`INSERT ... SELECT ... FROM jsonb_array_elements(...)`), which costs the client one `json.dumps` instead of
adapting every value.

`loaded()` and `unsaved()` make model instances without `Model.__init__`, for the same hot paths.

`insert(objs)` writes unsaved instances and sets their generated ids: on PostgreSQL as one
`INSERT ... SELECT * FROM unnest(typed arrays) RETURNING id` (or `ON CONFLICT DO NOTHING`), read straight from
the instances' attributes, without `bulk_create`'s per-field `pre_save`/`get_db_prep_save` round; elsewhere
(SQLite) as `bulk_create`.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import time
import uuid
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.db.models.base import ModelState
from django.db.models.fields import NOT_PROVIDED
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init

M = TypeVar("M", bound=models.Model)

_SQL_CACHE: dict[tuple[Any, ...], str] = {}


def _columns(model: type[models.Model], with_pk: bool) -> list[models.Field[Any, Any]]:
    return [
        f
        for f in model._meta.concrete_fields
        if with_pk or not f.primary_key  # type: ignore[attr-defined]
    ]


def _insert_sql(
    model: type[models.Model],
    fields: Sequence[models.Field[Any, Any]],
    ignore_conflicts: bool,
    returning: bool,
) -> str:
    key = ("insert", model, tuple(f.attname for f in fields), ignore_conflicts, returning)
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


def _json(value: Any) -> Any:
    return None if value is None else json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


def _value(field: models.Field[Any, Any], obj: models.Model) -> Any:
    value = getattr(obj, field.attname)
    return _json(value) if isinstance(field, models.JSONField) else value


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
        cursor.execute(_insert_sql(model, fields, ignore_conflicts, returning), params)
        if returning:  # rows come back in insertion order, as bulk_create relies on too
            for obj, row in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = row[0]
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


def concrete_fields(model: type[models.Model], attnames: Sequence[str]) -> list[models.Field[Any, Any]]:
    """The model's concrete fields with these attnames (e.g. "recipient_id"), in that order."""
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    return [by_attname[name] for name in attnames]


# --- instances without Model.__init__ ----------------------------------------------------------------------

_PLAIN = (DeferredAttribute, ForeignKeyDeferredAttribute)
_plain_models: dict[tuple[type[models.Model], tuple[str, ...]], bool] = {}


def _plainly_set(model: type[models.Model], attnames: tuple[str, ...]) -> bool:
    """Whether setting these attributes is just storing them: Django's own descriptors, and nobody listening
    to the model's init signals (which Model.__init__ would send)."""
    key = (model, attnames)
    plain = _plain_models.get(key)
    if plain is None:
        plain = _plain_models[key] = (
            not pre_init.has_listeners(model)
            and not post_init.has_listeners(model)
            and all(type(model.__dict__.get(name)) in _PLAIN for name in attnames)
        )
    return plain


def loaded(model: type[M], attnames: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[M]:
    """What `model.from_db` makes of rows read with raw SQL (`attnames` in the rows' order; the fields not
    read are deferred), without Model.__init__, which visits every field of the model: the group commit
    loads a few dozen users and accounts per batch, and that was a fifth of its Python time."""
    names = tuple(attnames)
    if not _plainly_set(model, names):
        return [model.from_db(connection.alias, list(names), row) for row in rows]
    objs = []
    alias = connection.alias
    for row in rows:
        obj = model.__new__(model)
        obj.__dict__.update(zip(names, row, strict=True))
        obj._state = state = ModelState()
        state.adding, state.db = False, alias
        objs.append(obj)
    return objs


_Spec = list[tuple[str, str, bool, Any]]  # name, attname, is a relation, the field's get_default
_specs: dict[type[models.Model], _Spec | None] = {}


def _spec(model: type[models.Model]) -> _Spec | None:
    if model not in _specs:
        fields = model._meta.concrete_fields
        plain = _plainly_set(model, tuple(f.attname for f in fields))
        _specs[model] = [(f.name, f.attname, f.is_relation, f.get_default) for f in fields] if plain else None
    return _specs[model]


def unsaved(model: type[M], **values: Any) -> M:
    """`model(**values)` for a row about to be inserted, without Model.__init__ (a group commit stages a
    transaction row, an audit event and a message or two per call). Values go by attname, or by relation
    name with the related instance (cached on the new one, as the constructor does); the other fields take
    their defaults."""
    spec = _spec(model)
    if spec is None:
        return model(**values)
    obj = model.__new__(model)
    state = obj._state = ModelState()
    attrs = obj.__dict__
    used = 0
    for name, attname, relation, default in spec:
        if attname in values:
            attrs[attname] = values[attname]
            used += 1
        elif relation and name in values:
            other = values[name]
            attrs[attname] = None if other is None else other.pk
            if other is not None:
                state.fields_cache[name] = other
            used += 1
        else:
            attrs[attname] = default()
    if used != len(values):
        return model(**values)  # a name that is not a field: let the constructor say which
    return obj


# --- rounds ------------------------------------------------------------------------------------------------


def among(column: str, values: Iterable[Any]) -> tuple[str, list[Any]]:
    """`column` is one of the (distinct) values: on PostgreSQL `= ANY(%s)` with one array parameter, so the
    statement's text does not depend on how many there are (a prepared statement serves them all)."""
    values = sorted(set(values))
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [values]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", values


def _plain(value: Any) -> Any:
    """JSON for a value PostgreSQL will cast back from text: full precision (DjangoJSONEncoder would cut
    datetimes to milliseconds, and the audit chain hashes the stored moment)."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _json_insert_sql(
    model: type[models.Model], fields: Sequence[models.Field[Any, Any]], ignore: bool
) -> str:
    key = ("json", model, tuple(f.attname for f in fields), ignore)
    sql = _SQL_CACHE.get(key)
    if sql is None:
        qn = connection.ops.quote_name
        columns = ", ".join(qn(f.column) for f in fields)
        values = ", ".join(
            f"NULLIF(r.value -> {i}, 'null'::jsonb)"
            if isinstance(f, models.JSONField)
            else f"(r.value ->> {i})::{f.db_type(connection)}"
            for i, f in enumerate(fields)
        )
        # identifiers and types come from the model; the rows are one parameter. ORDER BY keeps the list's
        # order for the ids the sequence hands out (the audit chain relies on it).
        sql = (
            f"INSERT INTO {qn(model._meta.db_table)} ({columns}) SELECT {values}"  # noqa: S608
            " FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS r(value, n) ORDER BY r.n"
        )
        if ignore:
            sql += " ON CONFLICT DO NOTHING"
        _SQL_CACHE[key] = sql
    return sql


class Round:
    """Statements sent together (see the module docstring). Only for statements whose parameters do not
    depend on each other's results; `run()` returns the rows of each `query()`, in order."""

    def __init__(self) -> None:
        self._steps: list[tuple[str, Any, Any]] = []
        self._queries = 0

    def query(self, sql: str, params: Sequence[Any]) -> int:
        """A statement whose rows are wanted; returns the index of its rows in `run()`'s result."""
        self._steps.append(("query", sql, list(params)))
        self._queries += 1
        return self._queries - 1

    def execute(self, sql: str, params: Sequence[Any]) -> None:
        self._steps.append(("execute", sql, list(params)))

    def insert(
        self,
        model: type[models.Model],
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        ignore_conflicts: bool = False,
    ) -> None:
        """Rows (tuples of Python values in the order of `columns`, which are attnames); the columns left out
        (but the id) take the model's defaults, as `bulk_create` would give them. `ignore_conflicts`: a row
        that breaks a unique constraint is skipped."""
        if not rows:
            return
        fields = concrete_fields(model, columns)
        if connection.vendor == "postgresql":
            left_out = [
                f
                for f in model._meta.concrete_fields
                if not f.primary_key and f.attname not in columns and f.db_default is NOT_PROVIDED
            ]
            if left_out:
                fields += left_out
                rows = [[*row, *(f.get_default() for f in left_out)] for row in rows]
            payload = json.dumps([list(row) for row in rows], default=_plain, ensure_ascii=False)
            self._steps.append(("execute", _json_insert_sql(model, fields, ignore_conflicts), [payload]))
        else:
            objs = [model(**dict(zip(columns, row, strict=True))) for row in rows]
            self._steps.append(("insert", model, (objs, ignore_conflicts)))

    def run(self) -> list[list[tuple[Any, ...]]]:
        results: list[list[tuple[Any, ...]]] = []
        steps, self._steps, self._queries = self._steps, [], 0
        if not steps:
            return results
        if connection.vendor == "postgresql":
            return _pipelined(steps)
        with connection.cursor() as cursor:
            for kind, what, args in steps:
                if kind == "insert":
                    objs, ignore = args
                    what._default_manager.bulk_create(objs, ignore_conflicts=ignore)
                else:
                    cursor.execute(what, args)
                    if kind == "query":
                        results.append(cursor.fetchall())
        return results


def _pipelined(steps: list[tuple[str, Any, Any]]) -> list[list[tuple[Any, ...]]]:
    """The statements in one psycopg pipeline: sent together, answered together, each its own extended-
    protocol statement with server-side parameters, so the hot ones are prepared once per connection (after
    `prepare_threshold` uses; settings: DATABASE_PREPARED_STATEMENTS) and not parsed and planned again."""
    import psycopg

    connection.ensure_connection()
    connection.validate_no_broken_transaction()
    raw = connection.connection
    started = time.monotonic()
    with connection.wrap_database_errors:
        writer = psycopg.Cursor(raw)  # Django's own cursors bind on the client, which never prepares
        queries = []
        with raw.pipeline():
            for kind, sql, params in steps:
                if kind == "query":
                    cursor = psycopg.Cursor(raw)
                    cursor.execute(sql, params)
                    queries.append(cursor)
                else:
                    writer.execute(sql, params)
            results = [cursor.fetchall() for cursor in queries]
    if connection.queries_logged:  # as Django's debug cursor would (DEBUG, or a test capturing queries)
        spent = f"{time.monotonic() - started:.3f}"
        connection.queries_log.extend({"sql": sql, "time": spent} for _kind, sql, _params in steps)
    return results
