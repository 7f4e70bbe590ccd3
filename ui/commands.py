"""`rag ui`, registered with the `rag` command through the `newsqa.commands` entry point (pyproject.toml).

`rag` loads this module on every run to build its parser, so it stays light: gradio and the chat are imported
only when `rag ui` runs, after the check that the ui extra is installed.
"""
from __future__ import annotations

import argparse

from rag.settings import MODES, Settings

# What the ui extra brings, as the modules `rag ui` imports (pyproject.toml lists the distributions).
NEEDS = ["gradio"]


def register(sub: argparse._SubParsersAction) -> None:
    """Add `rag ui`, its options and its handler to the `rag` command's sub-commands."""
    ui = sub.add_parser("ui", help="the chat in the browser, on http://127.0.0.1:7860 (Ctrl-C stops it)")
    ui.add_argument("--host", help="the address to listen on (RAG_UI_HOST, default 127.0.0.1: this machine only)")
    ui.add_argument("--port", type=int, help="the port (RAG_UI_PORT, default 7860; 0 picks a free one)")
    ui.add_argument("--share", action="store_true", help="also make a public gradio.live link (needs internet)")
    ui.add_argument("--mode", choices=MODES, help="the answer mode the chat starts with (RAG_MODE)")
    ui.add_argument("--top-k", type=int, help="passages the chat starts with (RAG_TOP_K)")
    ui.add_argument("--strict", action="store_true", help="start with strict checking on (RAG_STRICT)")
    ui.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the chat until Ctrl-C."""
    from rag.cli import require_extra

    require_extra("ui", "The chat", NEEDS)
    from rag.analyse import import_spacy_without_torch
    from ui.app import serve

    import_spacy_without_torch()  # this process only serves the chat: a second less to start it

    settings = settings.replace(ui_host=args.host, ui_port=args.port, ui_share=args.share or None)
    app, url = serve(settings)
    print(f"The chat is on {url} (Ctrl-C stops it).", flush=True)
    try:
        app.block_thread()  # returns on Ctrl-C
    finally:
        app.close()
    return 0
