"""Time to first words and to the finished answer in the chat, per mode, measured in a real browser.

    python -m eval.ui_latency [--modes extractive local endpoint] [--questions 8] [--screenshots docs/]

For each mode it serves the chat on 127.0.0.1, opens it in headless Chromium, and asks the
first N questions of eval/questions.jsonl one after another in one conversation-free page
each ("New chat" between questions), timing from the click on Ask to the first words shown
and to the finished, checked answer. Mode `endpoint` is mode `openai` pointed at an
OpenAI-compatible server: here llama.cpp's, running the bundled SmolLM2 on 127.0.0.1 (no
remote API can be reached from this machine). Prints one JSON object per mode, then a table.
"""
from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from eval.dataset import load
from rag.serve import LocalServer, local_model_path
from rag.settings import Settings
from ui.app import serve
from ui.browser import ChatPage, chromium

HOCHSTEIN = "What did Hochstein warn Hezbollah?"


def measure(settings: Settings, mode: str, questions: list[str], screenshot: Path | None) -> dict[str, object]:
    """Time each question in a fresh conversation; save a screenshot of the Hochstein answer if asked."""
    app, url = serve(settings.replace(ui_port=0))
    try:
        with chromium() as browser:
            chat = ChatPage(browser.new_page(viewport={"width": 1400, "height": 950}), url)
            chat.choose_mode("endpoint" if mode == "openai" else mode)
            chat.ask(HOCHSTEIN)  # warm-up: the first answer loads models and starts servers
            timings = []
            for q in questions:
                chat.new_chat()
                timings.append(chat.ask(q))
            if screenshot:
                chat.new_chat()
                chat.ask(HOCHSTEIN)
                links = chat.last_answer().locator(".answer-text a.cite")
                if links.count():
                    chat.open_source(links.first)
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                chat.page.screenshot(path=screenshot)
    finally:
        app.close()
    first = [t.first_text for t in timings]
    full = [t.full_answer for t in timings]
    return {
        "mode": mode, "questions": len(timings), "streamed": sum(t.streamed for t in timings),
        "first_text_p50_s": round(statistics.median(first), 2), "first_text_max_s": round(max(first), 2),
        "full_answer_p50_s": round(statistics.median(full), 2), "full_answer_max_s": round(max(full), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modes", nargs="+", default=["extractive", "local", "endpoint"],
                        choices=["extractive", "local", "endpoint"])
    parser.add_argument("--questions", type=int, default=8, help="how many eval questions to time per mode")
    parser.add_argument("--screenshots", type=Path, help="save chat-<mode>.png here: the example question answered")
    args = parser.parse_args()
    settings = Settings.from_env()
    questions = [q.question for q in load()][: args.questions]
    rows = []
    for mode in args.modes:
        if mode == "endpoint":
            with LocalServer(local_model_path(settings), settings.local_ctx,
                             prompt_cache=settings.local_prompt_cache) as server:
                endpoint = settings.replace(mode="openai", openai_base_url=server.base_url,
                                            llm_model=server.endpoint.model)
                row = measure(endpoint, "openai", questions, _shot(args.screenshots, "endpoint"))
            row["mode"] = f"endpoint (llama.cpp {server.endpoint.model} on 127.0.0.1)"
        else:
            row = measure(settings.replace(mode=mode), mode, questions, _shot(args.screenshots, mode))
        print(json.dumps(row), flush=True)
        rows.append(row)
    print("\n| mode | questions | first words p50 (max) | full answer p50 (max) | streamed |\n|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['mode']} | {r['questions']} | {r['first_text_p50_s']} s ({r['first_text_max_s']} s) | "
              f"{r['full_answer_p50_s']} s ({r['full_answer_max_s']} s) | {r['streamed']}/{r['questions']} |")


def _shot(folder: Path | None, mode: str) -> Path | None:
    return folder / f"chat-{mode}.png" if folder else None


if __name__ == "__main__":
    main()
