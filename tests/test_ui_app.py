"""`rag ui` as a user starts it: on 127.0.0.1, on the port asked for, stopped by Ctrl-C; and its settings."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest

from conftest import ROOT, free_port, listening
from rag.errors import ConfigError
from rag.settings import Settings
from ui.app import exposure_warning, mode_choices


@pytest.mark.slow
def test_rag_ui_serves_on_loopback_and_stops_on_ctrl_c(seed_settings: Settings) -> None:
    port = free_port()
    env = {**os.environ, "RAG_INDEX_DIR": str(seed_settings.index_dir), "RAG_CORPUS": str(seed_settings.corpus),
           "RAG_MODE": "extractive", "OPENAI_API_KEY": "", "OPENAI_BASE_URL": ""}
    # Ctrl-C as a terminal delivers it: a suite started in the background (`cmd &`) ignores SIGINT, and the child
    # would inherit that and never see the signal
    proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "ui", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    rest: list[str] = []
    try:
        line = proc.stdout.readline()  # printed once the page is served
        assert re.fullmatch(rf"The chat is on http://127\.0\.0\.1:{port}/ \(Ctrl-C stops it\)\.\n", line), line
        # keep reading what it prints, so that a full pipe can never stop it from exiting
        drain = threading.Thread(target=lambda: rest.extend(proc.stdout), daemon=True)
        drain.start()
        assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/config").json()["title"] == "newsqa"
        listeners = listening(port)
        assert listeners and all(addr == "127.0.0.1" for addr in listeners)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0, "".join(rest)[-3000:]
        drain.join(timeout=5)
        assert "Traceback" not in "".join(rest)
    finally:
        proc.kill()
    time.sleep(0.2)
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))  # the port is free again


def test_listening_beyond_this_machine_without_a_login_is_warned_about() -> None:
    assert exposure_warning(Settings.from_env({})) is None
    assert exposure_warning(Settings.from_env({}, ui_host="0.0.0.0", ui_auth="a:b")) is None
    warning = exposure_warning(Settings.from_env({}, ui_host="0.0.0.0"))
    assert warning and "0.0.0.0" in warning and "RAG_UI_AUTH" in warning
    shared = exposure_warning(Settings.from_env({}, ui_share=True))
    assert shared and "public share link" in shared


@pytest.mark.parametrize("env, message", [
    ({"RAG_UI_AUTH": "nopassword"}, "user:password"),
    ({"RAG_UI_AUTH": ":secret"}, "user:password"),
    ({"RAG_UI_PORT": "70000"}, "between 0 and 65535"),
    ({"RAG_UI_PORT": "eighty"}, "whole number"),
    ({"RAG_UI_SHARE": "maybe"}, "true or false"),
])
def test_bad_ui_settings_say_what_to_fix(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_the_login_and_its_secret_stay_out_of_reprs() -> None:
    settings = Settings.from_env({"RAG_UI_AUTH": "reader:s3cret"})
    assert settings.ui_login == ("reader", "s3cret") and "s3cret" not in repr(settings)


def test_the_mode_menu_names_the_models(tmp_path) -> None:
    bare = Settings.from_env({}, model_cache=str(tmp_path))  # no `rag models install` here: the bundled model
    offline = dict((v, label) for label, v in mode_choices(bare))
    assert list(offline) == ["extractive", "local"] and "SmolLM2-135M-Instruct" in offline["local"]
    installed = tmp_path / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    installed.parent.mkdir()
    installed.write_bytes(b"GGUF")
    assert "qwen2.5-coder-1.5b-instruct" in dict((v, label) for label, v in mode_choices(bare))["local"]
    configured = Settings.from_env({"OPENAI_BASE_URL": "http://127.0.0.1:8000/v1", "RAG_LLM_MODEL": "qwen2.5"})
    assert dict((v, label) for label, v in mode_choices(configured))["openai"] == "endpoint: qwen2.5 at 127.0.0.1:8000"
