"""A bounded load test of the chat: N users, each in their own session, asking for a fixed time.

    python -m eval.load --users 8 --seconds 60 [--mode extractive] [--out FILE.json]

The app is served on 127.0.0.1 (a free port) exactly as `rag ui` serves it. Each user is a
`gradio_client.Client` (one session each) that asks the eval set's questions in turn through
the chat's own `/chat` endpoint until time is up. Every reply is checked: no error, and the
session's conversation holds exactly the questions this user asked, in order (no cross-talk).
Prints throughput and latency percentiles as JSON. It stops by itself when time is up.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from eval.bench.measure import nearest_rank
from eval.dataset import load
from rag.settings import Settings


@dataclass
class UserLog:
    asked: list[str] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    crosstalk: list[str] = field(default_factory=list)


def message_text(message: dict) -> str:
    """A chat message's text, as gradio_client returns it (a string, or a list of typed parts)."""
    content = message["content"]
    return content if isinstance(content, str) else "".join(part.get("text", "") for part in content)


def _conversation(url: str, questions: Sequence[str], offset: int, mode: str, top_k: int, deadline: float,
                  turns: int, log: UserLog) -> None:
    """One session (a new Client) asking up to `turns` questions in turn, each reply checked."""
    from gradio_client import Client

    client = Client(url, verbose=False)
    own: list[str] = []
    for i in range(turns):
        if time.monotonic() >= deadline:
            return
        question = questions[(offset + i) % len(questions)]
        started = time.perf_counter()
        try:
            box, shown = client.predict(question, mode, top_k, False, api_name="/chat")
        except Exception as exc:  # noqa: BLE001 - every failure is counted, none stops the test
            log.errors.append(f"{type(exc).__name__}: {exc}")
            continue
        log.seconds.append(time.perf_counter() - started)
        log.asked.append(question)
        own.append(question)
        users = [message_text(m) for m in shown if m["role"] == "user"]
        if users != own:
            log.crosstalk.append(f"the session asked {own[-3:]} but shows {users[-3:]}")
        reply = message_text(shown[-1]) if shown else ""
        if box != "" or 'class="answer final' not in reply:  # an error, or no finished answer
            log.errors.append(f"reply to {question!r}: {reply[:200]}")


def run(settings: Settings, users: int, seconds: float, mode: str = "extractive", top_k: int = 5,
        turns: int = 6) -> dict[str, object]:
    """Serve the chat, run `users` sessions in parallel for `seconds`, and return the figures.

    Each user starts a new conversation every `turns` questions, so that a long run measures
    answering, not ever-growing conversations.
    """
    from ui.app import serve

    app, url = serve(settings.replace(ui_host="127.0.0.1", ui_port=0, mode=mode))
    questions = [q.question for q in load() if q.answerable]
    logs = [UserLog() for _ in range(users)]
    deadline = time.monotonic() + seconds

    def user(n: int) -> None:
        while time.monotonic() < deadline:
            _conversation(url, questions, n * 7 + len(logs[n].asked), mode, top_k, deadline, turns, logs[n])

    started = time.perf_counter()
    threads = [threading.Thread(target=user, args=(n,), daemon=True) for n in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 120)  # a reply still under way when time is up is waited for, within reason
    elapsed = time.perf_counter() - started
    app.close()
    times = sorted(s for log in logs for s in log.seconds)
    return {
        "users": users, "seconds": round(elapsed, 1), "mode": mode, "answers": len(times),
        "throughput_per_s": round(len(times) / elapsed, 2),
        "latency_s": _percentiles(times),
        "errors": [e for log in logs for e in log.errors],
        "crosstalk": [c for log in logs for c in log.crosstalk],
        "per_user_answers": [len(log.seconds) for log in logs],
        "concurrency_limit": settings.ui_concurrency,
    }


def _percentiles(times: Sequence[float]) -> dict[str, float]:
    """p50, p95, p99 and max of sorted seconds."""
    if not times:
        return {}
    return {"p50": round(statistics.median(times), 3), "p95": round(nearest_rank(times, 0.95), 3),
            "p99": round(nearest_rank(times, 0.99), 3), "max": round(times[-1], 3)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--mode", default="extractive")
    parser.add_argument("--out", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if not 1 <= args.users <= 64 or not 1 <= args.seconds <= 3600:
        parser.error("--users must be 1 to 64 and --seconds 1 to 3600")
    result = run(Settings.from_env(), args.users, args.seconds, args.mode)
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 1 if result["errors"] or result["crosstalk"] else 0


if __name__ == "__main__":
    sys.exit(main())
