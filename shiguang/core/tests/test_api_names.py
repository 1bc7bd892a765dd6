"""OpenAPI components are keyed by schema class name: two apps' `OfferOut` would silently overwrite each
other in /api/v1/openapi.json. Keep every API schema name unique."""

from __future__ import annotations

from collections import defaultdict

from ninja import Schema

import config.api  # noqa: F401  (imports every router and its schemas)


def test_api_schema_class_names_are_unique():
    modules: dict[str, set[str]] = defaultdict(set)

    def walk(cls: type) -> None:
        for sub in cls.__subclasses__():
            if sub.__module__.startswith(("shiguang.", "config.")):
                modules[sub.__name__].add(sub.__module__)
            walk(sub)

    walk(Schema)
    assert {name: sorted(m) for name, m in modules.items() if len(m) > 1} == {}
