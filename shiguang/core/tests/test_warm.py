from __future__ import annotations

import io

from django.core.management import call_command


def test_warm_runs_each_apps_warm_up_with_progress(monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr("shiguang.homeshare.matching.warm_up", lambda: calls.append("homeshare"))
    out = io.StringIO()
    call_command("warm", stdout=out)
    assert calls == ["homeshare"]
    assert "homeshare ready in" in out.getvalue()


def test_the_matching_warm_up_really_solves():
    from shiguang.homeshare.matching import warm_up

    warm_up()  # compiles (or loads) the solver and solves a small instance without error
