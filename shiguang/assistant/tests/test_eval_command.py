"""`manage.py assistant_eval FILE.jsonl --json`: one JSON object per line on stdout, nothing else."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from shiguang.assistant.nlu import SLOT_KEYS

EVAL = Path(__file__).resolve().parents[1] / "eval" / "eval_set.jsonl"


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("assistant_eval", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(tmp_path: Path, lines: list[str]) -> str:
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_json_output_has_exactly_the_contract(tmp_path):
    path = write(
        tmp_path,
        [
            json.dumps(
                {"text": "下周一下午三点想找人陪我去社康", "now": "2026-11-29T10:00:00+08:00", "id": 7}
            ),
            json.dumps({"text": "我想报名太极", "now": "2026-11-29T10:00:00+08:00", "intent": "x"}),
            json.dumps({"text": "重阳节那天帮我买菜", "now": "2026-09-01T10:00:00+08:00"}),  # jionlp fallback
            json.dumps({"text": "我摔倒了起不来", "now": "2026-11-29T10:00:00Z"}),
            json.dumps({"text": "", "now": "2026-11-29T10:00:00+08:00"}),
            json.dumps({"text": "😀😀"}),
        ],
    )
    out, _err = run(path, "--json")
    lines = out.splitlines()
    assert len(lines) == 6
    rows = [json.loads(line) for line in lines]
    for row in rows:
        assert set(row) == {"text", "intent", "slots"}
        assert set(row["slots"]) == set(SLOT_KEYS[row["intent"]])
    assert rows[0] == {
        "text": "下周一下午三点想找人陪我去社康",
        "intent": "request_help",
        "slots": {"category": "medical_escort", "date": "2026-11-30", "time": "15:00"},
    }
    assert rows[1] == {"text": "我想报名太极", "intent": "join_activity", "slots": {"activity": "太极"}}
    assert rows[2]["slots"]["date"] == "2026-10-18"
    assert rows[3]["intent"] == "emergency" and rows[3]["slots"] == {}
    assert rows[4]["intent"] == rows[5]["intent"] == "chitchat"


def test_bad_lines_are_reported_on_stderr_and_skipped(tmp_path):
    path = write(
        tmp_path,
        [
            "not json at all",
            json.dumps(["a", "list"]),
            json.dumps({"no_text": 1}),
            json.dumps({"text": 42}),
            "",
            json.dumps({"text": "报平安", "now": "yesterday-ish"}),
        ],
    )
    out, err = run(path, "--json")
    assert [json.loads(line)["intent"] for line in out.splitlines()] == ["daily_checkin"]
    assert err.count("skipped") == 4
    assert 'invalid "now"' in err


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run(str(tmp_path / "nope.jsonl"), "--json")


def test_human_summary_with_accuracy():
    out, _err = run(str(EVAL))
    assert "254 utterances" in out
    assert "intent accuracy: 100.0% (254/254)" in out
    assert "slot accuracy:" in out


def test_summary_without_labels(tmp_path):
    out, _err = run(write(tmp_path, [json.dumps({"text": "报平安"}), json.dumps({"text": "你好"})]))
    assert "2 utterances" in out and "accuracy" not in out


def test_stdout_is_clean_in_a_fresh_process(tmp_path):
    """A real `manage.py` run: Django start-up, jionlp's banner, logging all stay off stdout."""
    path = write(
        tmp_path,
        [
            json.dumps({"text": "中秋节帮我买菜", "now": "2026-08-01T10:00:00+08:00"}),
            "garbage",
            json.dumps({"text": "明天上午九点陪我去医院", "now": "2026-12-31T10:00:00+08:00"}),
        ],
    )
    result = subprocess.run(
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "assistant_eval", path, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=settings.BASE_DIR,
        env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "config.settings_test"},
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["slots"]["date"] for r in rows] == ["2026-09-25", "2027-01-01"]
    assert "garbage" not in result.stdout and "skipped" in result.stderr
