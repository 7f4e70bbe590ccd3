"""Security basics: secrets stay out of messages and logs, and the chat reads no file outside the index."""
from __future__ import annotations

import logging
import os
import subprocess
import sys

import httpx
import pytest

from conftest import HOCHSTEIN, ROOT, free_port, listening
from fake_openai import FakeOpenAI, error
from rag.errors import LLMError
from rag.pipeline import Assistant
from rag.settings import Settings
from rag.types import Citation
from ui.app import build_app, exposure_warning, launch, source_panel
from ui.chat import respond
from ui.render import article_href, cite_href

KEY = "sk-test-SECRET-1234567890"
PASSWORD = "hunter2-SECRET"


def secret_free(*texts: str) -> bool:
    return not any(secret in text for text in texts for secret in (KEY, PASSWORD, "SECRET"))


@pytest.mark.parametrize("reply", [
    error(401, f"Incorrect API key provided: {KEY}."),
    error(500, f"internal error while using key {KEY}"),
    error(429, "slow down", headers={"Retry-After": "0"}),
])
def test_endpoint_failures_never_show_the_key_or_the_url_password(seed_settings, caplog, reply) -> None:
    caplog.set_level(logging.DEBUG)
    with FakeOpenAI(lambda request: reply) as server:
        host = server.url.removeprefix("http://")
        settings = seed_settings.replace(mode="openai", openai_api_key=KEY, llm_retries=0,
                                         openai_base_url=f"http://reader:{PASSWORD}@{host}")
        assistant = Assistant(settings)
        with pytest.raises(LLMError) as failure:
            assistant.ask("What did Hochstein warn Hezbollah?")
        *_, (shown, _) = respond(assistant, "What did Hochstein warn Hezbollah?", [], mode="openai")
    assert secret_free(str(failure.value), shown[-1]["content"], caplog.text, repr(settings), repr(assistant.chat))
    assert host.split(":")[0] in str(failure.value)  # the message still says where


@pytest.mark.slow  # two processes
def test_the_cli_never_prints_the_key(seed_settings) -> None:
    env = {**os.environ, "OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": f"http://u:{PASSWORD}@127.0.0.1:{free_port()}/v1",
           "RAG_LLM_RETRIES": "0", "RAG_UI_AUTH": f"reader:{PASSWORD}"}
    for args in (["ask", "--mode", "openai", "What did Hochstein warn Hezbollah?"], ["ask", "--top-k", "0", "x"]):
        done = subprocess.run([sys.executable, "-m", "rag.cli", "--index-dir", str(seed_settings.index_dir), *args],
                              capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
        assert done.returncode == 2 and secret_free(done.stdout, done.stderr), done.stderr


def test_the_exposure_warning_names_no_password(seed_settings) -> None:
    open_settings = seed_settings.replace(ui_host="0.0.0.0")
    assert "RAG_UI_AUTH" in exposure_warning(open_settings)
    assert exposure_warning(open_settings.replace(ui_auth=f"reader:{PASSWORD}")) is None
    assert secret_free(repr(open_settings.replace(ui_auth=f"reader:{PASSWORD}")))


@pytest.mark.parametrize("doc_id", [
    "../../../../etc/passwd", "/etc/passwd", "..%2F..%2Fetc%2Fpasswd", "outside", "../outside",
    f"{HOCHSTEIN}/../../outside", "C:\\Windows\\win.ini", "\x00", "",
])
def test_the_article_panel_reads_no_file_outside_the_index(seed_assistant, tmp_path, doc_id) -> None:
    (tmp_path / "outside.txt").write_text("SECRET outside the corpus folder")
    for ref in (article_href(doc_id), cite_href(Citation(1, doc_id, "title", None, "SECRET out", 0, 10))):
        panel = source_panel(seed_assistant, ref)
        assert "source missing" in panel and secret_free(panel) and "root:" not in panel
    assert "Hochstein" in source_panel(seed_assistant, article_href(HOCHSTEIN))  # a real article does open


def test_the_chat_listens_on_loopback_only_by_default(seed_settings) -> None:
    defaults = Settings.from_env({})
    assert (defaults.ui_host, defaults.ui_share, defaults.ui_auth) == ("127.0.0.1", False, None)
    settings = seed_settings.replace(ui_port=0)  # the default chat settings, on a free port
    assert exposure_warning(settings) is None
    app = build_app(settings, Assistant(settings))
    url = launch(app, settings)
    try:
        port = int(url.rstrip("/").rsplit(":", 1)[1])
        assert url == f"http://127.0.0.1:{port}/" and app.share_url is None  # no public link
        assert listening(port) == ["127.0.0.1"]  # not 0.0.0.0, not IPv6: this machine only
        assert httpx.get(url, timeout=30).status_code == 200
    finally:
        app.close()
    assert listening(port) == []
