"""Drive the chat in headless Chromium, as a reader would: for the browser tests and the UI latency benchmark.

Uses Debian's /usr/bin/chromium (or RAG_CHROMIUM) through playwright; nothing is ever downloaded.
"""
from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

# Chromium's own background traffic is refused on an offline machine, many times a second: keep it quiet.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
ANSWER_TIMEOUT_MS = 180_000


def chromium_path() -> Path | None:
    """Where Chromium is (RAG_CHROMIUM, else /usr/bin/chromium or chromium on PATH), or None."""
    for candidate in (os.environ.get("RAG_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return Path(candidate)
    return None


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium, closed on exit. Raises FileNotFoundError when there is none."""
    path = chromium_path()
    if path is None:
        raise FileNotFoundError("No Chromium found. Install Debian's `chromium` package, or set RAG_CHROMIUM.")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(path), headless=True, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass(frozen=True)
class Timing:
    """Seconds from pressing Ask to the first words of the answer and to the finished answer."""

    first_text: float
    full_answer: float
    streamed: bool  # whether the answer was seen arriving in pieces before it was finished


# Watches the chat for the answer to the question about to be asked (`done` answers are already there).
_WATCH = """(done) => {
  const chat = document.querySelector('#chat');
  const t = {start: performance.now(), first: null, final: null, streamed: false};
  window.__answerTiming = t;
  const finished = () => chat.querySelectorAll('.answer.final, .answer.error').length > done;
  const check = () => {
    const streaming = chat.querySelector('.answer.streaming');
    if (streaming) { t.streamed = true; }
    if (t.first === null && (streaming || finished())) { t.first = performance.now(); }
    if (t.final === null && finished()) { t.final = performance.now(); observer.disconnect(); }
  };
  const observer = new MutationObserver(check);
  observer.observe(chat, {childList: true, subtree: true, characterData: true});
  document.querySelector('#ask').click();
}"""


class ChatPage:
    """The chat page in a browser tab, with the actions a reader takes."""

    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        page.goto(url)
        page.wait_for_selector("#question textarea")

    def finished_answers(self) -> int:
        return self.page.locator("#chat .answer.final, #chat .answer.error").count()

    def ask(self, question: str) -> Timing:
        """Type the question, press Ask, and wait for the finished answer (or error)."""
        done = self.finished_answers()
        self.page.fill("#question textarea", question)
        self.page.evaluate(_WATCH, done)
        self.page.wait_for_function("() => window.__answerTiming.final !== null", timeout=ANSWER_TIMEOUT_MS)
        t = self.page.evaluate("() => window.__answerTiming")
        return Timing((t["first"] - t["start"]) / 1000, (t["final"] - t["start"]) / 1000, t["streamed"])

    def new_chat(self) -> None:
        """Press "New chat" and wait until the conversation is empty."""
        self.page.click("#new-chat")
        self.page.wait_for_function("() => !document.querySelector('#chat .answer')")

    def last_answer(self):  # noqa: ANN201 - a playwright Locator
        return self.page.locator("#chat .answer.final, #chat .answer.error").last

    def choose_mode(self, mode: str) -> None:
        """Pick an answer mode in Settings (its label starts with the mode's name)."""
        self.page.click("#mode input")
        self.page.locator("[role=listbox] [role=option]", has_text=f"{mode}:").first.click()
        self.page.wait_for_function(
            "(m) => document.querySelector('#mode input').value.startsWith(m + ':')", arg=mode)

    def open_source(self, link) -> None:  # noqa: ANN001 - a playwright Locator
        """Click a citation or article link and wait until the side panel shows what it points at."""
        self.page.evaluate(_PANEL_RESET)
        link.click()
        self.page.wait_for_selector(_PANEL_SHOWN)

    def highlighted(self) -> str | None:
        """The text highlighted in the side panel, or None when nothing is."""
        mark = self.page.locator("#article-panel mark.cited")
        return mark.text_content() if mark.count() else None

    def highlight_in_view(self) -> bool:
        """Whether the highlighted span lies inside the visible part of the panel and of the window."""
        return self.page.evaluate(_IN_VIEW)


_PANEL_SHOWN = '#article-panel[data-state="shown"], #article-panel [data-state="shown"]'
_PANEL_RESET = """() => document.querySelectorAll('#article-panel, #article-panel [data-state]')
  .forEach((e) => { delete e.dataset.state; })"""
_IN_VIEW = """() => {
  const mark = document.querySelector('#article-panel mark.cited');
  if (!mark) { return false; }
  const m = mark.getBoundingClientRect();
  let box = mark.parentElement;
  while (box && box.scrollHeight <= box.clientHeight + 1) { box = box.parentElement; }
  const b = box ? box.getBoundingClientRect() : {top: 0, bottom: window.innerHeight};
  return m.top >= b.top && m.top < b.bottom && m.top >= 0 && m.top < window.innerHeight;
}"""
