"""manage.py assistant_eval FILE.jsonl [--json]

Reads lines {"text": ..., "now": ISO-8601 with offset} (other keys ignored; "now" may be left out) and
runs the offline understanding engine on each.

--json   one JSON object per input line on stdout, {"text", "intent", "slots"}, and nothing else on stdout:
         bad lines, library banners and log output go to stderr.
default  a human summary: intents found and, when the lines carry expected "intent"/"slots", the accuracy and
         the first failures.

FILE may be "-" for standard input.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shiguang.assistant.nlu import interpret
from shiguang.assistant.nlu.engine import local_now


def _lines(path: str, err: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    stream: Any
    if path == "-":
        stream = contextlib.nullcontext(sys.stdin)
    else:
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"no such file: {path}")
        stream = open(file, encoding="utf-8", errors="replace")  # noqa: SIM115 - closed by the with below
    with stream as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as exc:
                err.write(f"{path}:{number}: skipped, not JSON ({exc.msg})\n")
                continue
            if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
                err.write(f'{path}:{number}: skipped, expected an object with a string "text"\n')
                continue
            yield f"{path}:{number}", obj


def _now(value: Any, where: str, err: Any) -> datetime:
    """The line's "now" (ISO-8601; naive means Asia/Shanghai); missing or invalid: the current time."""
    if value is None or value == "":
        return local_now()
    if isinstance(value, str):
        try:
            return local_now(datetime.fromisoformat(value.strip()))
        except ValueError:
            pass
    err.write(f'{where}: invalid "now" {value!r}; using the current time\n')
    return local_now()


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help='JSONL file of {"text", "now"} lines ("-" for stdin)')
        parser.add_argument(
            "--json", action="store_true", help="print one JSON object per line and nothing else"
        )
        parser.add_argument("--failures", type=int, default=20, help="failures to list in the summary")

    def handle(self, *args: Any, **options: Any) -> None:
        out = self.stdout
        err = getattr(self.stderr, "_out", sys.stderr)
        # Nothing but our own lines may reach stdout: anything a library prints (jionlp's banner on its lazy
        # import, for one) is sent to stderr; log records already go there.
        with contextlib.redirect_stdout(err):
            if options["json"]:
                self._json(options["file"], out, err)
            else:
                self._summary(options["file"], out, err, options["failures"])

    @staticmethod
    def _interpret(where: str, obj: dict[str, Any], err: Any) -> dict[str, Any]:
        result = interpret(obj["text"], _now(obj.get("now"), where, err))
        return {"text": obj["text"], "intent": result.intent, "slots": dict(result.slots)}

    def _json(self, path: str, out: Any, err: Any) -> None:
        for where, obj in _lines(path, err):
            row = self._interpret(where, obj, err)
            out.write(json.dumps(row, ensure_ascii=False))
            out.flush()

    def _summary(self, path: str, out: Any, err: Any, show: int) -> None:
        total = 0
        intents: Counter[str] = Counter()
        labelled = intent_ok = slot_cases = slot_ok = 0
        failures: list[str] = []
        for where, obj in _lines(path, err):
            row = self._interpret(where, obj, err)
            total += 1
            intents[row["intent"]] += 1
            if "intent" not in obj:
                continue
            labelled += 1
            good_intent = row["intent"] == obj["intent"]
            intent_ok += good_intent
            good_slots = True
            if isinstance(obj.get("slots"), dict):
                slot_cases += 1
                good_slots = row["slots"] == obj["slots"]
                slot_ok += good_slots
            if not (good_intent and good_slots) and len(failures) < show:
                failures.append(
                    f"  {row['text'][:40]!r}: expected {obj['intent']} {obj.get('slots')}, "
                    f"got {row['intent']} {row['slots']}"
                )
        out.write(f"{total} utterances")
        for intent, count in intents.most_common():
            out.write(f"  {intent:<15} {count}")
        if labelled:
            out.write(f"intent accuracy: {intent_ok / labelled:.1%} ({intent_ok}/{labelled})")
            if slot_cases:
                out.write(f"slot accuracy:   {slot_ok / slot_cases:.1%} ({slot_ok}/{slot_cases})")
            if failures:
                out.write("failures:")
                for line in failures:
                    out.write(line)
