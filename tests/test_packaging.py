"""The core install: `rag` runs without the chat, the evaluation or the dev tools, and says which extra a command needs."""
from __future__ import annotations

import os
import subprocess
import sys
import tomllib

import pytest

import rag.cli
from tests.conftest import ROOT

# What each extra brings, as the modules that would be imported (pyproject.toml lists the distributions).
EXTRA_MODULES = {
    "ui": ["gradio"],
    "eval": ["matplotlib", "gensim", "llama_index.vector_stores", "llama_index.embeddings", "llama_index.llms",
             "llama_index.retrievers"],
    "dev": ["pytest", "xdist", "hypothesis", "playwright"],
    "train": ["sklearn"],
}
CORE_ONLY = """
import sys
for name in {blocked!r}:
    sys.modules[name] = None  # as if not installed: importing it raises ModuleNotFoundError
from rag.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_the_core_dependencies_carry_no_chat_evaluation_or_dev_tools() -> None:
    core = " ".join(_pyproject()["dependencies"])
    for package in ("gradio", "gensim", "matplotlib", "playwright", "pytest", "hypothesis", "scikit-learn",
                    "llama-index-vector-stores", "llama-index-embeddings", "llama-index-llms", "llama-index-retrievers"):
        assert package not in core, package
    extras = _pyproject()["optional-dependencies"]
    assert any(d.startswith("gradio") for d in extras["ui"])
    assert {"matplotlib", "gensim"} <= {d.split("=")[0].split(">")[0] for d in extras["eval"]}
    assert "-e '.[ui,eval,dev,train]'" in (ROOT / "Makefile").read_text()  # the README's commands set up everything


def test_importing_the_cli_imports_neither_the_chat_nor_the_evaluation() -> None:
    code = "import rag.cli, sys; print(sorted(m for m in sys.modules if m.split('.')[0] in {'ui','eval','gradio'}))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("argv", "blocked", "message"),
    [
        (["ui"], ["gradio"], "The chat needs the ui extra (missing: gradio): pip install 'newsqa[ui]'"),
        (["eval", "--no-baseline"], ["matplotlib"],
         "The evaluation needs the eval extra (missing: matplotlib): pip install 'newsqa[eval]'"),
        (["bench", "--sizes", "100"], ["gensim", "llama_index.retrievers"],
         "The benchmark needs the eval extra (missing: gensim, llama_index.retrievers.bm25): pip install 'newsqa[eval]'"),
    ],
)
def test_a_command_whose_extra_is_missing_names_the_extra_to_install(monkeypatch, capsys, tmp_path, argv, blocked,
                                                                     message) -> None:
    for name in list(os.environ):
        if name.startswith("RAG_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    for name in blocked:
        monkeypatch.setitem(sys.modules, name, None)
    assert rag.cli.main(argv) == 2
    assert capsys.readouterr().err == f"error: {message}\n"


@pytest.mark.slow
def test_index_ask_and_status_run_without_any_extra(tmp_path) -> None:
    blocked = ["ui", "eval", "train", *(m for modules in EXTRA_MODULES.values() for m in modules)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")} | {"RAG_INDEX_DIR": str(tmp_path / "index")}

    def rag(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", CORE_ONLY.format(blocked=blocked), *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)

    indexed = rag("index", str(ROOT / "seeds"))
    assert indexed.returncode == 0, indexed.stderr
    assert indexed.stdout.startswith("Indexed: 5 added")
    asked = rag("ask", "--mode", "extractive", "What did Hochstein warn Hezbollah?")
    assert asked.returncode == 0, asked.stderr
    assert "stand by Israel" in asked.stdout and "Sources:" in asked.stdout
    status = rag("status")
    assert status.returncode == 0, status.stderr
    assert "The index is up to date with its folders." in status.stdout
