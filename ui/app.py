"""App: the Gradio page (chat, settings, side panel, article list) and its launch on 127.0.0.1.

    rag ui                      # http://127.0.0.1:7860
    rag ui --port 8080 --mode local

The page is laid out here; what the chat says comes from `ui.chat`, and all HTML from
`ui.render`. Clicking a citation calls the server function `open_source` from the side
panel's script (`ui/assets/panel.js`), which reads the article from the index by doc_id:
the page can show indexed articles only, never other files.
"""
from __future__ import annotations

import dataclasses
import html
import logging
import socket
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from rag.answer import resolve_mode
from rag.errors import IndexBusyError, RagError
from rag.llm import split_login
from rag.pipeline import Assistant, assistant as open_assistant
from rag.settings import Settings
from rag.types import Filters
from ui.chat import Exchange, Message, respond
from ui.render import PANEL_PLACEHOLDER, article_html, articles_html, parse_ref

log = logging.getLogger("rag.ui")
ASSETS = Path(__file__).parent / "assets"
EXAMPLES = [
    "What did Hochstein warn Hezbollah?",
    "Who met Israeli defence minister Yoav Gallant?",
    "What is the capital of Australia?",
]
LOOPBACK = ("127.0.0.1", "localhost", "::1")
FILTER_NOTE = ("Both dates are inclusive; a date filter leaves out articles with no known date. "
               "Leave a field empty for no filter.")
INTRO = ("### newsqa: ask the articles\nEvery sentence of an answer cites the passage it comes from. Click a "
         "citation such as **[1]** to see the article with that passage highlighted.")


def mode_choices(settings: Settings) -> list[tuple[str, str]]:
    """The answer modes this machine can run, each labelled with who writes the answer."""
    from rag.serve import local_model_path

    choices = [("extractive: quotes the articles (no LLM writes)", "extractive")]
    try:
        choices.append((f"local: {local_model_path(settings).stem} (llama.cpp, this machine)", "local"))
    except RagError as exc:
        log.warning("mode local is not offered: %s", exc)
    if settings.endpoint_configured:
        # host and port only: a user:password in the URL is never shown
        url, _ = split_login(settings.openai_base_url)
        where = urllib.parse.urlsplit(url).netloc if url else "api.openai.com"
        choices.append((f"endpoint: {settings.llm_model} at {where}", "openai"))
    return choices


def source_panel(assistant: Assistant, ref: str) -> str:
    """The side panel for a link from the page: an indexed article, read from the index's store.

    Only articles in the index can be shown, by doc_id; the page never names a file, so no
    link can reach a file outside the corpus folder (or any file at all).
    """
    source = parse_ref(str(ref))
    if source is None:
        return '<div class="source missing"><p>That link does not point at an indexed article.</p></div>'
    info = next((a for a in assistant.articles() if a.doc_id == source.doc_id), None)
    stale = assistant.stale([source.doc_id]) if info else []
    return article_html(info, assistant.article_text(source.doc_id) if info else None, source,
                        stale[0] if stale else None)


def library(assistant: Assistant) -> str:
    """The indexed articles as a table, with near-duplicates and files changed since indexing noted."""
    try:
        return articles_html(assistant.articles(), assistant.duplicate_groups(), assistant.stale())
    except RagError as exc:  # the index is being rebuilt, say, or was removed: said in the list's place
        return f'<p class="articles-empty">The article list cannot be shown: {html.escape(str(exc))}</p>'


def reindex_label(assistant: Assistant) -> str:
    """The re-index button's label: the folders it re-indexes (every folder the index holds)."""
    names = [Path(f.path).name or f.path for f in assistant.folders()]
    return f"Re-index {', '.join(names)}" if names else "Re-index"


def build_app(settings: Settings, assistant: Assistant) -> gr.Blocks:
    """The chat page for one open Assistant (shared by all users; each has their own conversation)."""

    def on_ask(question: str, history: list[Exchange], mode: str, top_k: float, strict: bool, since: str = "",
               until: str = "", outlet: str = "") -> Iterator[tuple[str, list[Message], list[Exchange]]]:
        for shown, kept in respond(assistant, question, history, mode=mode, top_k=int(top_k), strict=bool(strict),
                                   since=since or "", until=until or "", outlet=outlet or ""):
            yield "", shown, kept

    def open_source(ref: str) -> str:
        """The article a citation link points at, as HTML, with the cited span highlighted."""
        return source_panel(assistant, ref)

    def on_reindex() -> tuple[str, str]:
        try:
            report = assistant.reindex()
        except IndexBusyError as exc:
            return library(assistant), f"**Not re-indexed.** {exc}"
        except RagError as exc:
            return library(assistant), f"**Re-indexing failed.** {exc}"
        skipped = "".join(f"\n- skipped {s.path.name}: {s.reason}" for s in report.skipped)
        return library(assistant), report.summary() + skipped

    def ask_api(question: str, mode: str = "", top_k: int = 0, strict: bool | None = None, since: str = "",
                until: str = "", outlet: str = "") -> dict[str, Any]:
        """Answer one question; returns the whole Answer (text, citations with quotes and offsets, sentences).

        An option left out (empty mode, top_k 0, strict None) keeps the configured setting (RAG_MODE, …);
        since, until and outlet filter the articles as `rag ask --since/--until/--outlet` (empty: no filter).
        """
        try:
            answer = assistant.ask(question, top_k=top_k or None, mode=mode or None, strict=strict,
                                   filters=Filters(since or None, until or None, outlet or None) or None)
        except RagError as exc:
            raise gr.Error(str(exc)) from None
        return _jsonable(answer.to_dict())

    choices = mode_choices(settings)
    offered = [value for _, value in choices]
    default_mode = resolve_mode(settings)
    with gr.Blocks(title="newsqa", analytics_enabled=False) as app:
        history = gr.State([])
        gr.Markdown(INTRO)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                chat = gr.Chatbot(
                    elem_id="chat", show_label=False, height=520, latex_delimiters=[], buttons=["copy"],
                    feedback_options=None, layout="bubble",
                    placeholder="Ask a question about the articles, or pick an example below.",
                )
                with gr.Row():
                    question = gr.Textbox(
                        elem_id="question", show_label=False, scale=6, autofocus=True,
                        placeholder="Ask about the articles, e.g. What did Hochstein warn Hezbollah?",
                    )
                    ask = gr.Button("Ask", variant="primary", scale=0, elem_id="ask", min_width=100)
                    new_chat = gr.Button("New chat", scale=0, elem_id="new-chat", min_width=140)
                gr.Examples(EXAMPLES, inputs=question, label="Examples", elem_id="examples")
                with gr.Accordion("Settings", open=True, elem_id="settings"):
                    with gr.Row():
                        mode = gr.Dropdown(choices, value=default_mode if default_mode in offered else "extractive",
                                           label="Answer mode", elem_id="mode", scale=2)
                        top_k = gr.Slider(1, max(20, settings.top_k), value=settings.top_k, step=1, label="Passages (top-k)",
                                          elem_id="top-k", scale=1)
                        strict = gr.Checkbox(value=settings.strict, label="Strict: drop unsupported sentences",
                                             elem_id="strict", scale=1)
                with gr.Accordion("Filter articles", open=False, elem_id="filters"):
                    with gr.Row():
                        since = gr.Textbox(value="", label="Since", placeholder="YYYY-MM-DD or YYYY-MM", elem_id="since", scale=1)
                        until = gr.Textbox(value="", label="Until", placeholder="YYYY-MM-DD or YYYY-MM", elem_id="until", scale=1)
                        outlet = gr.Textbox(value="", label="Outlet", placeholder="a name or initials, e.g. WSJ",
                                            elem_id="outlet", scale=1)
                    gr.Markdown(FILTER_NOTE, elem_id="filter-note")
            with gr.Column(scale=2):
                gr.HTML(PANEL_PLACEHOLDER, elem_id="article-panel", js_on_load=(ASSETS / "panel.js").read_text(),
                        server_functions=[open_source], max_height=640, container=True,
                        show_label=False)
                with gr.Accordion("Indexed articles", open=False, elem_id="sources"):
                    articles = gr.HTML(library(assistant), elem_id="articles")
                    reindex = gr.Button(reindex_label(assistant), elem_id="reindex", size="sm")
                    status = gr.Markdown(elem_id="reindex-status")

        gr.on([question.submit, ask.click], on_ask, inputs=[question, history, mode, top_k, strict, since, until, outlet],
              outputs=[question, chat, history], api_name="chat")
        new_chat.click(lambda: ([], []), outputs=[chat, history], api_visibility="private")
        reindex.click(on_reindex, outputs=[articles, status], api_name="reindex", concurrency_limit=1)
        gr.api(ask_api, api_name="ask")
        app.load(lambda: library(assistant), outputs=[articles], api_visibility="private")  # files may change between visits
    return app


def launch(app: gr.Blocks, settings: Settings) -> str:
    """Serve the page on `settings.ui_host`:`ui_port` (a free port if 0) in the background; returns its address.

    No public share link unless `ui_share`; a login if `ui_auth` is set.
    """
    warning = exposure_warning(settings)
    if warning:
        log.warning(warning)
    port = settings.ui_port or _free_port(settings.ui_host)
    app.queue(default_concurrency_limit=settings.ui_concurrency)
    app.launch(
        server_name=settings.ui_host, server_port=port, share=settings.ui_share, auth=settings.ui_login,
        prevent_thread_lock=True, ssr_mode=False, show_error=False, quiet=True,
        css=(ASSETS / "app.css").read_text(), footer_links=["api"], enable_monitoring=False, mcp_server=False,
    )
    return app.share_url or app.local_url or f"http://{settings.ui_host}:{port}/"


def exposure_warning(settings: Settings) -> str | None:
    """What to say when the chat listens beyond this machine without a login (None when it does not)."""
    if settings.ui_login is not None:
        return None
    if settings.ui_share:
        return ("the chat has a public share link and no login: anyone with the link can use it. "
                "Set RAG_UI_AUTH=user:password.")
    if settings.ui_host not in LOOPBACK:
        return (f"the chat listens on {settings.ui_host} without a login: anyone who can reach this machine can "
                "use it. Set RAG_UI_AUTH=user:password.")
    return None


def serve(settings: Settings) -> tuple[gr.Blocks, str]:
    """Open the index (building it if there is none), then serve the chat in the background.

    Returns (app, address); `app.close()` stops it, `app.block_thread()` waits for Ctrl-C.
    """
    assistant = open_assistant(settings)
    assistant.embedder.embed(["warm up"])  # load the embedding model now, not at the first question
    app = build_app(settings, assistant)
    return app, launch(app, settings)


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if dataclasses.is_dataclass(value):
        return _jsonable(dataclasses.asdict(value))
    return value
