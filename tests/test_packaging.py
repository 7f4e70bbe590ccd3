"""The core install: `rag` runs without the chat, the evaluation or the dev tools, and says which extra a command needs."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
from importlib.metadata import EntryPoint

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


def _imports_of_the_layers_above(path) -> list[str]:
    """Every import of `ui` or `eval` in a file (at the top or inside a function), as "line: statement"."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None))
              in {"import_module", "__import__"} and node.args and isinstance(node.args[0], ast.Constant)):
            names = [str(node.args[0].value)]  # importlib.import_module("ui.app") is an import too
        else:
            continue
        found += [f"{node.lineno}: {ast.unparse(node)}" for name in names if name.split(".")[0] in {"ui", "eval"}]
    return found


def test_the_core_package_never_imports_the_chat_or_the_evaluation() -> None:
    """The layers point one way: ui/ and eval/ import rag; rag imports neither, not even lazily in a function
    (their commands reach `rag` through the `newsqa.commands` entry points)."""
    files = sorted((ROOT / "rag").rglob("*.py"))
    assert ROOT / "rag" / "cli.py" in files
    offending = {str(f.relative_to(ROOT)): found for f in files if (found := _imports_of_the_layers_above(f))}
    assert offending == {}


def test_the_chat_and_evaluation_commands_are_registered_by_their_own_packages() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["entry-points"]
    declared = declared[rag.cli.COMMANDS_GROUP]
    assert declared == {"ui": "ui.commands:register", "eval": "eval.commands:register_eval",
                        "bench": "eval.commands:register_bench"}
    installed = {entry.name: entry.value for entry in rag.cli.registered_commands()}
    assert installed == declared, "the installed metadata is stale: pip install --no-deps -e . (or make setup)"
    parser = rag.cli._parser()
    (sub,) = [a for a in parser._actions if a.choices and "index" in a.choices]
    assert list(sub.choices) == ["index", "add", "ask", "status", "models", "bench", "eval", "ui"]
    assert [name for name, p in sub.choices.items() if p.get_default("unavailable")] == []


def test_a_registered_command_that_fails_to_load_breaks_nothing_else(monkeypatch, capsys, tmp_path) -> None:
    """The chat's package gone (sys.modules[...] = None: importing it fails), and a plugin whose register is missing:
    `rag --help` still lists every command, with a note on those two; running one of them says why in one line;
    rag's own commands run as ever."""
    for name in ("ui", "ui.commands"):
        monkeypatch.setitem(sys.modules, name, None)
    installed = rag.cli.registered_commands()
    broken = EntryPoint(name="broken", value="json:no_such_register", group=rag.cli.COMMANDS_GROUP)
    monkeypatch.setattr(rag.cli, "registered_commands", lambda: [*installed, broken])

    with pytest.raises(SystemExit) as done:
        rag.cli.main(["--help"])
    assert done.value.code == 0
    listing = " ".join(capsys.readouterr().out.split())
    for command in ("index", "add", "ask", "status", "models", "eval", "bench"):
        assert f" {command} " in listing
    assert "ui (unavailable: its code failed to load; `rag ui` says why)" in listing
    assert "broken (unavailable: its code failed to load; `rag broken` says why)" in listing

    assert rag.cli.main(["ui", "--port", "7861", "--no-such-flag"]) == 2
    assert capsys.readouterr().err == (
        "error: `rag ui` is unavailable: its code failed to load (ui.commands:register: ModuleNotFoundError: "
        "import of ui.commands halted; None in sys.modules). Reinstall newsqa (`make setup` in a clone).\n")
    assert rag.cli.main(["broken"]) == 2
    assert capsys.readouterr().err == (
        "error: `rag broken` is unavailable: its code failed to load (json:no_such_register: AttributeError: "
        "module 'json' has no attribute 'no_such_register'). Reinstall newsqa (`make setup` in a clone).\n")

    assert rag.cli.main(["--index-dir", str(tmp_path / "index"), "index", "--replace"]) == 2  # rag's own, as ever
    assert capsys.readouterr().err.startswith("error: --replace needs the folder to index in place of the others")


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
