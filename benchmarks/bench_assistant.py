#!/usr/bin/env python
"""Benchmark the offline assistant NLU (shiguang.assistant.nlu) against a naive baseline.

Standalone (no Django). Warms up, interprets every eval case ``--repeat`` times, and prints
progress to stderr and exactly one JSON line last on stdout:

    {"cases", "p50_ms", "p95_ms", "intent_accuracy", "slot_accuracy",
     "baseline_p50_ms", "baseline_p95_ms", "baseline_intent_accuracy", "baseline_slot_accuracy",
     "holdout_*", "batch3_*", "kb_init_ms", "kb_p50_ms", "kb_p95_ms", ...}

The knowledge-base part builds the jieba + BM25 index over the seeded articles (no database) and times
one retrieval per policy question of the eval files, against a naive full scan that counts shared
characters, in the same run.

The baseline is a plain keyword first-match intent/category classifier with jionlp.parse_time
for dates and clock times (jionlp is imported lazily with its banner silenced).

    .venv/bin/python benchmarks/bench_assistant.py [--repeat 5] [--eval path.jsonl]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from shiguang.assistant.nlu import SLOT_KEYS, interpret  # noqa: E402
from shiguang.assistant.nlu.evaluate import parse_now, read_jsonl  # noqa: E402

EVAL_DIR = REPO_ROOT / "shiguang" / "assistant" / "eval"
DEFAULT_EVAL = EVAL_DIR / "eval_set.jsonl"
HOLDOUT = EVAL_DIR / "holdout_set.jsonl"
BATCH3 = EVAL_DIR / "blind_batch3.jsonl"

Result = tuple[str, dict[str, str | None]]

# ---------------------------------------------------------------------------------------------
# Naive baseline
# ---------------------------------------------------------------------------------------------

_BASELINE_INTENTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("emergency", ("摔倒", "跌倒", "救命", "着火", "起火", "120", "救护车", "晕倒", "胸口痛", "煤气")),
    ("emergency", ("help",)),
    ("cancel_request", ("取消", "不用来", "不用了", "不需要了", "cancel")),
    ("check_balance", ("余额", "积分", "时间币", "多少时间", "多少小时", "balance")),
    ("join_activity", ("报名", "参加", "太极", "书法", "广场舞", "唱歌", "粤剧", "讲座", "join")),
    ("daily_checkin", ("平安", "挺好", "很好", "不用担心", "fine")),
    ("ask_policy", ("怎么", "在哪", "几点", "是什么", "多少钱", "骗子", "吗", "?", "？")),
    ("request_help", ("帮我", "陪我", "找人", "帮忙", "坏了", "教我", "买菜", "送饭", "help me")),
)
_BASELINE_CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("medical_escort", ("医院", "社康", "看病", "复查", "拿药", "医生")),
    ("legal", ("律师", "法律", "遗嘱")),
    ("repair", ("修", "坏了", "漏水", "堵")),
    ("digital_help", ("微信", "手机", "电脑")),
    ("meal", ("饭", "餐")),
    ("shopping", ("买",)),
    ("housework", ("打扫", "卫生", "家务")),
    ("outing", ("公园", "走走", "散步")),
    ("companionship", ("聊天", "陪")),
)
_jionlp: Any = None


def _parse_time_module() -> Any:
    global _jionlp
    if _jionlp is None:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            import jionlp

        _jionlp = jionlp
    return _jionlp


def baseline_interpret(text: str, now: datetime) -> Result:
    lowered = text.lower()
    intent = next(
        (name for name, words in _BASELINE_INTENTS if any(w in lowered for w in words)),
        "chitchat",
    )
    if intent == "request_help":
        category = next(
            (name for name, words in _BASELINE_CATEGORIES if any(w in lowered for w in words)),
            "other",
        )
        day: str | None = None
        clock: str | None = None
        try:
            parsed = _parse_time_module().parse_time(text, time_base=now.replace(tzinfo=None))
        except Exception:  # jionlp raises ValueError (and others) on text without a time
            parsed = None
        if parsed and parsed.get("type") == "time_point":
            start = datetime.strptime(parsed["time"][0], "%Y-%m-%d %H:%M:%S")
            end = datetime.strptime(parsed["time"][1], "%Y-%m-%d %H:%M:%S")
            day = start.date().isoformat()
            if parsed.get("definition") == "accurate" and (end - start).total_seconds() < 3600:
                clock = start.strftime("%H:%M")
        return intent, {"category": category, "date": day, "time": clock}
    if intent == "join_activity":
        return intent, {"activity": None}
    return intent, {key: None for key in SLOT_KEYS[intent]}


def engine_interpret(text: str, now: datetime) -> Result:
    result = interpret(text, now)
    return result.intent, result.slots


# ---------------------------------------------------------------------------------------------
# Measurement
# ---------------------------------------------------------------------------------------------


def _percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return 0.0
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def run(
    name: str,
    func: Callable[[str, datetime], Result],
    cases: list[dict[str, Any]],
    repeat: int,
) -> dict[str, float]:
    prepared = [(str(case.get("text", "")), parse_now(case.get("now"))) for case in cases]
    for text, now in prepared[:30]:  # warm-up (regex caches, lazy imports)
        func(text, now)
    samples: list[float] = []
    outputs: list[Result] = []
    for round_no in range(1, repeat + 1):
        for text, now in prepared:
            start = time.perf_counter()
            output = func(text, now)
            samples.append((time.perf_counter() - start) * 1000.0)
            if round_no == 1:
                outputs.append(output)
        print(f"[{name}] round {round_no}/{repeat}: {len(prepared)} cases", file=sys.stderr)
    intent_ok = sum(out[0] == case.get("intent") for out, case in zip(outputs, cases, strict=True))
    slot_cases = [(out, case) for out, case in zip(outputs, cases, strict=True) if "slots" in case]
    slot_ok = sum(out[1] == case["slots"] for out, case in slot_cases)
    return {
        "p50_ms": round(statistics.median(samples), 4),
        "p95_ms": round(_percentile(samples, 95), 4),
        "intent_accuracy": round(intent_ok / len(cases), 4) if cases else 0.0,
        "slot_accuracy": round(slot_ok / len(slot_cases), 4) if slot_cases else 0.0,
        "timed_calls": len(samples),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL, help="labelled JSONL eval set")
    parser.add_argument("--repeat", type=int, default=5, help="timed passes over the eval set")
    args = parser.parse_args(argv)
    repeat = max(1, args.repeat)

    cases = list(read_jsonl(args.eval))
    if not cases:
        print(f"no cases in {args.eval}", file=sys.stderr)
        return 1
    print(f"loaded {len(cases)} cases from {args.eval}", file=sys.stderr)

    engine = run("engine", engine_interpret, cases, repeat)
    baseline = run("baseline", baseline_interpret, cases, repeat)
    summary: dict[str, Any] = {
        "cases": len(cases),
        "p50_ms": engine["p50_ms"],
        "p95_ms": engine["p95_ms"],
        "intent_accuracy": engine["intent_accuracy"],
        "slot_accuracy": engine["slot_accuracy"],
        "baseline_p50_ms": baseline["p50_ms"],
        "baseline_p95_ms": baseline["p95_ms"],
        "baseline_intent_accuracy": baseline["intent_accuracy"],
        "baseline_slot_accuracy": baseline["slot_accuracy"],
        "repeat": repeat,
        "timed_calls": int(engine["timed_calls"]),
    }
    for name, path in (("holdout", HOLDOUT), ("batch3", BATCH3)):
        if path.exists() and args.eval.resolve() != path.resolve():
            extra_cases = list(read_jsonl(path))
            extra = run(name, engine_interpret, extra_cases, 1)
            summary[f"{name}_cases"] = len(extra_cases)
            summary[f"{name}_intent_accuracy"] = extra["intent_accuracy"]
            summary[f"{name}_slot_accuracy"] = extra["slot_accuracy"]
    summary.update(bench_knowledge(repeat))
    # The contract keys come first; this JSON line is the last thing on stdout.
    print(json.dumps(summary, ensure_ascii=False))
    return 0


def bench_knowledge(repeat: int) -> dict[str, Any]:
    """jieba + BM25 over the seeded articles versus a naive shared-character scan."""
    from shiguang.assistant.kb_index import Doc, KBIndex, ensure_jieba
    from shiguang.assistant.knowledge_seed import ARTICLES

    start = time.perf_counter()
    ensure_jieba()
    docs = [Doc(i, title, tags, body, key) for i, (key, _c, title, tags, body) in enumerate(ARTICLES)]
    index = KBIndex(docs)
    init_ms = (time.perf_counter() - start) * 1000.0
    questions = [
        str(case["text"])
        for path in (DEFAULT_EVAL, HOLDOUT, BATCH3)
        if path.exists()
        for case in read_jsonl(path)
        if case.get("intent") == "ask_policy"
    ]

    def naive(query: str) -> int:
        wanted = set(query)
        return max(
            range(len(docs)), key=lambda i: len(wanted & set(docs[i].title + docs[i].tags + docs[i].body))
        )

    timings: dict[str, list[float]] = {"kb": [], "naive": []}
    agree = 0
    for round_no in range(1, repeat + 1):
        for question in questions:
            t0 = time.perf_counter()
            hits = index.search(question, limit=1, min_score=0.0)
            t1 = time.perf_counter()
            best = naive(question)
            t2 = time.perf_counter()
            timings["kb"].append((t1 - t0) * 1000.0)
            timings["naive"].append((t2 - t1) * 1000.0)
            if round_no == 1 and hits and hits[0].id == best:
                agree += 1
        print(f"[kb] round {round_no}/{repeat}: {len(questions)} questions", file=sys.stderr)
    return {
        "kb_articles": len(docs),
        "kb_questions": len(questions),
        "kb_init_ms": round(init_ms, 1),
        "kb_p50_ms": round(statistics.median(timings["kb"]), 4),
        "kb_p95_ms": round(_percentile(timings["kb"], 95), 4),
        "kb_naive_p95_ms": round(_percentile(timings["naive"], 95), 4),
        "kb_naive_agreement": round(agree / len(questions), 4) if questions else 0.0,
    }


if __name__ == "__main__":
    raise SystemExit(main())
