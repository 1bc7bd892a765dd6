"""Evaluation helpers: score the engine on labelled JSONL lines, and batch-interpret a JSONL file.

Labelled line: {"text": ..., "now": "2026-11-29T10:00:00+08:00", "intent": ..., "slots": {...}}
("now" optional: defaults to the current time in Asia/Shanghai).

    python -m shiguang.assistant.nlu.evaluate shiguang/assistant/eval/eval_set.jsonl
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from .engine import interpret, local_now


def parse_now(value: Any) -> datetime:
    """Parse an ISO-8601 "now"; naive values are Asia/Shanghai; missing/invalid -> current time."""
    if isinstance(value, str) and value.strip():
        try:
            return local_now(datetime.fromisoformat(value.strip()))
        except ValueError:
            print(f"nlu: invalid 'now' value {value!r}; using the current time", file=sys.stderr)
    return local_now()


def evaluate(lines: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Score :func:`interpret` against labelled cases.

    Returns {"cases", "intent_accuracy", "slot_accuracy", "failures"}; slot accuracy is the
    fraction of cases (among those with expected "slots") whose slots dict equals the expected one.
    """
    cases = intent_ok = slot_cases = slot_ok = 0
    failures: list[dict[str, Any]] = []
    for line in lines:
        text = line.get("text", "")
        text = text if isinstance(text, str) else ""
        result = interpret(text, parse_now(line.get("now")))
        cases += 1
        intent_match = result.intent == line.get("intent")
        intent_ok += intent_match
        slots_match = True
        if "slots" in line:
            slot_cases += 1
            slots_match = result.slots == line["slots"]
            slot_ok += slots_match
        if not (intent_match and slots_match):
            failures.append(
                {
                    "text": text,
                    "now": line.get("now"),
                    "expected": {"intent": line.get("intent"), "slots": line.get("slots")},
                    "got": result.as_dict(),
                }
            )
    return {
        "cases": cases,
        "intent_accuracy": round(intent_ok / cases, 4) if cases else 0.0,
        "slot_accuracy": round(slot_ok / slot_cases, 4) if slot_cases else 0.0,
        "failures": failures,
    }


def read_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    """Yield the JSON objects of a JSONL file; invalid or non-object lines are reported on stderr."""
    with open(path, encoding="utf-8") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as exc:
                print(f"{path}:{number}: skipped invalid JSON ({exc.msg})", file=sys.stderr)
                continue
            if not isinstance(obj, dict) or not isinstance(obj.get("text", ""), str):
                print(f"{path}:{number}: skipped (expected an object with a string 'text')", file=sys.stderr)
                continue
            yield obj


def run_file(path: str | Path) -> Iterator[dict[str, Any]]:
    """Interpret every line of a JSONL file of {"text", "now"?}; yields {"text", "intent", "slots"}."""
    for obj in read_jsonl(path):
        text = obj.get("text", "")
        result = interpret(text, parse_now(obj.get("now")))
        yield {"text": text, "intent": result.intent, "slots": dict(result.slots)}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m shiguang.assistant.nlu.evaluate EVAL.jsonl", file=sys.stderr)
        return 2
    report = evaluate(read_jsonl(args[0]))
    for failure in report["failures"]:
        print(json.dumps(failure, ensure_ascii=False), file=sys.stderr)
    summary = {k: v for k, v in report.items() if k != "failures"}
    summary["failures"] = len(report["failures"])
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
