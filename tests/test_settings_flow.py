"""Settings as a user gives them: environment variables, CLI flags and per-call options, layered.

A flag overrides the environment, the environment overrides the default, and a flag (or option)
left out never resets what the environment set. Every variable in the README's configuration
table is followed into the Settings each command actually uses; `rag ui` and `rag eval` are also
run as processes, the way the tracker's reports ran them.
"""
from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import httpx
import pytest

import eval.cli
import rag.cli
import rag.embed
import rag.pipeline
import ui.app
from conftest import ROOT, free_port
from fake_openai import FakeOpenAI, Response, completion, passage_number, streamed
from rag.pipeline import Assistant
from rag.settings import Settings
from conftest import listening as _listening

# ---------------------------------------------------------------------------------------------
# The README's configuration table, and a value other than the default for each of its variables
# ---------------------------------------------------------------------------------------------

# Values the field's type alone cannot choose: one of a list, a login, an address, a model name.
CHOSEN = {
    "RAG_MODE": "local",
    "RAG_EMBED_RUNTIME": "onnx-int8",
    "RAG_READER_GATE": "off",
    "RAG_CONFIRM": "off",
    "RAG_EMBED_MODEL": "openai:text-embedding-3-small",
    "RAG_CHROMA_URL": "http://127.0.0.1:8000",
    "RAG_MODEL_CACHE": "~/models-cache",
    "RAG_UI_HOST": "0.0.0.0",
    "RAG_UI_AUTH": "reader:s3cret",
    "OPENAI_API_KEY": "sk-test",
    "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
}


def readme_variables() -> list[str]:
    """Every variable named in the first column of the README's configuration table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Configuration", 1)[1].split("\n#", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])]


VARIABLES = readme_variables()


def field_of(variable: str) -> str:
    """The Settings field a variable fills: RAG_TOP_K -> top_k, OPENAI_API_KEY -> openai_api_key."""
    return variable.lower().removeprefix("rag_")


def case(variable: str) -> tuple[str, object]:
    """What a user types for `variable` (never the default), and the value the code must then see."""
    f = Settings.__dataclass_fields__.get(field_of(variable))
    if f is None:
        pytest.fail(f"{variable} is in the README's configuration table, but no Settings field reads it")
    kind = str(f.type)
    if variable in CHOSEN:
        raw = CHOSEN[variable]
    elif kind == "bool":
        return ("false", False) if f.default else ("true", True)
    elif kind == "int":
        return str(f.default + 1), f.default + 1
    elif kind == "float":
        raw = f"{f.default + 0.1:g}"
        return raw, float(raw)
    elif "Path" in kind:
        raw = f"/tmp/newsqa-{f.name}"
    else:
        raw = f"{f.default or f.name}-other"
    return raw, Path(raw).expanduser() if "Path" in kind else raw


def all_cases() -> dict[str, str]:
    return {v: case(v)[0] for v in VARIABLES if field_of(v) in Settings.__dataclass_fields__}


def test_every_setting_in_the_readme_table_is_a_field_the_environment_sets() -> None:
    assert len(VARIABLES) >= 25, VARIABLES  # the table was found and read
    fields = set(Settings.__dataclass_fields__)
    assert [v for v in VARIABLES if field_of(v) not in fields] == [], "the README documents settings the code lacks"
    for variable in VARIABLES:
        raw, expected = case(variable)
        assert expected != Settings.__dataclass_fields__[field_of(variable)].default, variable
        assert getattr(Settings.from_env({variable: raw}), field_of(variable)) == expected


# ---------------------------------------------------------------------------------------------
# The commands, run in this process with the step after the settings replaced by a recorder
# ---------------------------------------------------------------------------------------------


class Reached(Exception):
    """Raised where a command hands its Settings on; carries them."""

    def __init__(self, settings: Settings) -> None:
        super().__init__("settings reached")
        self.settings = settings


def _reached(*args: object, **kwargs: object) -> None:
    """Stands in for serve(settings), ask(question, settings=…), run_eval(settings, …), load_embedder(settings)."""
    (settings,) = [a for a in (*args, *kwargs.values()) if isinstance(a, Settings)]
    raise Reached(settings)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No RAG_* or OPENAI_* variable from the machine running the tests."""
    for name in list(os.environ):
        if name.startswith(("RAG_", "OPENAI_")):
            monkeypatch.delenv(name)
    return monkeypatch


def settings_used(monkeypatch: pytest.MonkeyPatch, argv: list[str], env: dict[str, str]) -> Settings:
    """The Settings that `rag <argv>` hands to the code that does the work, with `env` set."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(ui.app, "serve", _reached)  # rag ui
    monkeypatch.setattr(rag.pipeline, "ask", _reached)  # rag ask
    monkeypatch.setattr(rag.pipeline, "ask_stream", _reached)  # rag ask --stream
    monkeypatch.setattr(eval.cli, "run_eval", _reached)  # rag eval
    monkeypatch.setattr(rag.embed, "load_embedder", _reached)  # rag index (its first use of the settings)
    with pytest.raises(Reached) as reached:
        rag.cli.main(argv)
    return reached.value.settings


COMMANDS = {
    "ui": ["ui"],
    "ask": ["ask", "What did Hochstein warn Hezbollah?"],
    "ask-stream": ["ask", "--stream", "What did Hochstein warn Hezbollah?"],
    "eval": ["eval", "--mode", "local"],
    "index": ["index"],
}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("variable", VARIABLES)
def test_each_variable_reaches_the_settings_each_command_uses(clean_env, variable: str, command: str) -> None:
    raw, expected = case(variable)
    used = settings_used(clean_env, COMMANDS[command], {variable: raw})
    assert getattr(used, field_of(variable)) == expected
    assert used == Settings.from_env({variable: raw}), "nothing else changed on the way"


def _per_call_option(variable: str) -> dict[str, object]:
    """A per-call option that differs from the setting (so a new Settings is made), on another field."""
    return {"strict": True} if variable == "RAG_MODE" else {"mode": "extractive"}


def _as_env(option: dict[str, object]) -> dict[str, str]:
    return {f"RAG_{k.upper()}": str(v).lower() for k, v in option.items()}


@pytest.mark.parametrize("variable", VARIABLES)
def test_each_variable_survives_a_per_call_option_on_another_setting(clean_env, variable: str) -> None:
    """`ask(q, mode=…)` and `Assistant.ask(q, mode=…)` (as the chat and `rag eval` call it) keep the rest."""
    raw, expected = case(variable)
    option = _per_call_option(variable)
    want = Settings.from_env({variable: raw, **_as_env(option)})
    clean_env.setenv(variable, raw)
    clean_env.setattr(rag.pipeline, "assistant", _reached)
    with pytest.raises(Reached) as reached:  # the public ask(), options left out passed as None
        rag.pipeline.ask("What did Hochstein warn Hezbollah?", top_k=None, **{"mode": None, "strict": None, **option})
    # the cached Assistant is opened with the settings as configured; the option is applied per call (below)
    assert getattr(reached.value.settings, field_of(variable)) == expected
    assert reached.value.settings == Settings.from_env({variable: raw})

    # one Assistant serving many calls: the per-call variant of its settings
    serving = SimpleNamespace(settings=Settings.from_env())
    variant = Assistant._variant(serving, **{"mode": None, "strict": None, **option})
    assert getattr(variant, field_of(variable)) == expected
    assert variant == want


def test_replace_with_none_leaves_every_field_as_it_is() -> None:
    settings = Settings.from_env(all_cases())
    assert settings != Settings.from_env({})
    assert settings.replace(**{name: None for name in Settings.__dataclass_fields__}) == settings
    changed = settings.replace(mode="extractive", strict=None, top_k=3)
    assert (changed.mode, changed.strict, changed.top_k) == ("extractive", True, 3)
    assert changed.replace(mode="local") == settings.replace(top_k=3)


@pytest.mark.parametrize(
    ("env", "argv", "field", "expected"),
    [
        ({"RAG_UI_PORT": "8080"}, ["ui", "--port", "9090"], "ui_port", 9090),
        ({"RAG_UI_PORT": "8080"}, ["ui", "--port", "0"], "ui_port", 0),  # 0 is a value, not "left out"
        ({"RAG_UI_HOST": "0.0.0.0"}, ["ui", "--host", "127.0.0.2"], "ui_host", "127.0.0.2"),
        ({"RAG_UI_SHARE": "false"}, ["ui", "--share"], "ui_share", True),
        ({"RAG_UI_SHARE": "true"}, ["ui", "--port", "9090"], "ui_share", True),
        ({"RAG_MODE": "local"}, ["ui", "--mode", "extractive"], "mode", "extractive"),
        ({"RAG_TOP_K": "8"}, ["ask", "--top-k", "3", "q?"], "top_k", 3),
        ({"RAG_MODE": "local"}, ["ask", "--mode", "extractive", "q?"], "mode", "extractive"),
        ({"RAG_STRICT": "false"}, ["ask", "--strict", "q?"], "strict", True),
        ({"RAG_STRICT": "true"}, ["ask", "--top-k", "3", "q?"], "strict", True),
        ({"RAG_INDEX_DIR": "/tmp/a"}, ["--index-dir", "/tmp/b", "ask", "q?"], "index_dir", Path("/tmp/b")),
        ({"RAG_TOP_K": "8"}, ["eval", "--top-k", "3"], "top_k", 3),
        ({"RAG_STRICT": "false"}, ["eval", "--mode", "local", "--strict"], "strict", True),
        ({"RAG_CORPUS": "/tmp/a"}, ["index", "/tmp/b"], "corpus", Path("/tmp/b")),
        ({"RAG_CORPUS": "/tmp/a"}, ["index", "--rebuild"], "corpus", Path("/tmp/a")),
    ],
)
def test_a_flag_overrides_the_environment_and_a_flag_left_out_does_not(
    clean_env, env: dict[str, str], argv: list[str], field: str, expected: object
) -> None:
    assert getattr(settings_used(clean_env, argv, env), field) == expected


@pytest.mark.slow
def test_rag_ui_hands_gradio_the_host_port_share_login_and_queue_from_the_environment(
    clean_env, seed_settings: Settings
) -> None:
    """The tracker's command, `RAG_UI_HOST=0.0.0.0 RAG_UI_PORT=8080 RAG_UI_SHARE=true rag ui`, up to gradio's
    launch (stopped there: nothing is opened to the network)."""
    launched: dict[str, object] = {}
    queue = gr.Blocks.queue

    def record_queue(self: gr.Blocks, *args: object, **kwargs: object) -> gr.Blocks:
        launched["queue"] = kwargs
        return queue(self, *args, **kwargs)

    def record_launch(self: gr.Blocks, *args: object, **kwargs: object) -> None:
        launched.update(kwargs)
        raise Reached(Settings.from_env())

    clean_env.setattr(gr.Blocks, "queue", record_queue)
    clean_env.setattr(gr.Blocks, "launch", record_launch)
    env = {"RAG_INDEX_DIR": str(seed_settings.index_dir), "RAG_CORPUS": str(seed_settings.corpus),
           "RAG_MODE": "openai", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "RAG_UI_HOST": "0.0.0.0",
           "RAG_UI_PORT": "8080", "RAG_UI_SHARE": "true", "RAG_UI_AUTH": "reader:s3cret", "RAG_UI_CONCURRENCY": "2"}
    for name, value in env.items():
        clean_env.setenv(name, value)
    with pytest.raises(Reached):
        rag.cli.main(["ui"])
    assert (launched["server_name"], launched["server_port"], launched["share"]) == ("0.0.0.0", 8080, True)
    assert launched["auth"] == ("reader", "s3cret")
    assert launched["queue"] == {"default_concurrency_limit": 2}


# ---------------------------------------------------------------------------------------------
# As a user runs them: `rag ui` and `rag eval` in their own processes
# ---------------------------------------------------------------------------------------------

QUESTION = "What did Hochstein warn Hezbollah?"
UNSUPPORTED = "Hochstein flew to Paris on Tuesday"


def one_supported_one_not(request: dict) -> Response:
    """A model that cites the warning correctly, then adds a sentence no passage supports."""
    n = passage_number(request, "stand by Israel")
    assert n, "the warning is among the passages"
    text = f"Hochstein warned that the US will stand by Israel and not condemn it publicly [{n}]. {UNSUPPORTED} [{n}]."
    # streamed when asked (the chat and `rag eval` stream), as a real server does
    return streamed(text.split(" ")[:1] + [" " + w for w in text.split(" ")[1:]]) if request.get("stream") else completion(text)


def rag_env(seed_settings: Settings, **env: str) -> dict[str, str]:
    """The machine's environment without RAG_*/OPENAI_*, then the seed index, then `env`."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "OPENAI_"))}
    return base | {"RAG_INDEX_DIR": str(seed_settings.index_dir), "RAG_CORPUS": str(seed_settings.corpus)} | env


@pytest.fixture(scope="module")
def model() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(one_supported_one_not) as server:
        yield server


@pytest.fixture(scope="module")
def chat_from_env(seed_settings: Settings, model: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory
                  ) -> Iterator[tuple[str, int]]:
    """`RAG_UI_HOST=127.0.0.2 RAG_UI_PORT=<free> RAG_STRICT=true … rag ui`, running; yields (host, port).

    127.0.0.2 is loopback too (all of 127/8 is), and differs from the default host, so the
    address it listens on shows that RAG_UI_HOST arrived.
    """
    host, port = "127.0.0.2", free_port()
    env = rag_env(seed_settings, RAG_UI_HOST=host, RAG_UI_PORT=str(port), RAG_STRICT="true", RAG_MODE="openai",
                  OPENAI_BASE_URL=model.url, RAG_LLM_RETRIES="0")
    stderr = tmp_path_factory.mktemp("rag-ui") / "stderr.txt"
    with open(stderr, "wb") as errors:
        proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "ui"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=errors, text=True)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 180)
        line = proc.stdout.readline() if ready else "(nothing within 180 s)"  # printed once the page is served
        if line != f"The chat is on http://{host}:{port}/ (Ctrl-C stops it).\n":
            proc.kill()
            pytest.fail(f"rag ui printed {line!r}; stderr: {stderr.read_text()[-2000:]}")
        yield host, port
    finally:
        proc.kill()
        proc.wait(timeout=20)


@pytest.mark.slow
def test_rag_ui_listens_where_the_environment_says(chat_from_env: tuple[str, int]) -> None:
    host, port = chat_from_env
    assert _listening(port) == [host]
    assert httpx.get(f"http://{host}:{port}/config").json()["title"] == "newsqa"


@pytest.mark.slow
def test_rag_ui_answers_strictly_when_the_environment_says(chat_from_env: tuple[str, int], model: FakeOpenAI) -> None:
    """RAG_STRICT=true reaches the served chat: a program asking /ask without a strict option gets strict answers."""
    from gradio_client import Client

    host, port = chat_from_env
    before = len(model.requests)
    answer = Client(f"http://{host}:{port}/", verbose=False).predict(QUESTION, api_name="/ask")
    assert len(model.requests) > before, "the answer was written by the model"
    assert answer["answered"] and "stand by Israel" in answer["text"]
    assert UNSUPPORTED not in answer["text"], "strict drops the sentence no passage supports"
    assert [s["supported"] for s in answer["sentences"]] == [True]


def run_eval(seed_settings: Settings, tmp_path: Path, *flags: str, **env: str) -> dict:
    """`rag eval --questions <q01 only> --no-baseline --out <tmp> FLAGS`; returns its results JSON."""
    questions = tmp_path / "questions.jsonl"
    rows = [json.loads(line) for line in (ROOT / "eval" / "questions.jsonl").read_text().splitlines()]
    questions.write_text("".join(json.dumps(r) + "\n" for r in rows if r["id"] == "q01"))
    done = subprocess.run(
        [sys.executable, "-m", "rag.cli", "eval", "--questions", str(questions), "--no-baseline", "--out",
         str(tmp_path / "results"), *flags], cwd=ROOT, env=rag_env(seed_settings, **env), capture_output=True,
        text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (results,) = (tmp_path / "results").glob("*.json")
    return json.loads(results.read_text())


@pytest.mark.slow
def test_rag_eval_strict_answers_strictly(seed_settings: Settings, model: FakeOpenAI, tmp_path: Path) -> None:
    """The tracker's `rag eval --mode local --strict`, with the endpoint in place of the bundled model (same
    path: the mode is picked per call, and strict must come along; the scripted reply makes it decidable)."""
    before = len(model.requests)
    results = run_eval(seed_settings, tmp_path, "--mode", "openai", "--strict", OPENAI_BASE_URL=model.url,
                       RAG_LLM_RETRIES="0")
    assert len(model.requests) > before, "the answers were written by the model"
    assert results["settings"]["strict"] is True and list(results["systems"]) == ["newsqa:openai+strict"]
    (row,) = results["systems"]["newsqa:openai+strict"]["questions"]
    assert row["error"] is None and row["answered"] and "stand by Israel" in row["answer"]
    assert UNSUPPORTED not in row["answer"], "strict drops the sentence no passage supports"
