"""Embedding runtimes: the bundled model through onnxruntime (float32 and int8) against sentence-transformers on torch."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from rag.embed import INT8_SUFFIX, LOCAL_MODEL_NAME, load_embedder
from rag.errors import ConfigError, IndexMismatchError
from rag.index import build_index, open_index
from rag.settings import Settings
from tests.conftest import ROOT, SEEDS, make_settings

TEXTS = [
    "Hochstein warned Hezbollah that Israel would escalate.",
    "The US envoy met the Israeli defence minister at the Pentagon near Washington on Tuesday. " * 6,
    "Fuad Shukr",
    "",
]


@pytest.fixture(scope="module")
def torch_vectors() -> np.ndarray:
    return load_embedder(Settings.from_env({}, embed_runtime="torch")).embed(TEXTS)


@pytest.mark.slow  # loads the torch model
@pytest.mark.parametrize(("runtime", "least_cosine"), [("onnx", 0.9999), ("onnx-int8", 0.97)])
def test_onnx_vectors_match_the_torch_model(runtime, least_cosine, torch_vectors) -> None:
    embedder = load_embedder(Settings.from_env({}, embed_runtime=runtime))
    vectors = embedder.embed(TEXTS)
    assert vectors.shape == torch_vectors.shape and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert (vectors * torch_vectors).sum(axis=1).min() >= least_cosine
    single = embedder.embed([TEXTS[1]])  # one text alone takes the same path as within a batch
    assert float(single[0] @ vectors[1]) > 0.9999
    assert embedder.embed([]).shape[0] == 0


@pytest.mark.slow  # loads the torch model
def test_int8_vectors_are_named_apart_so_an_index_never_mixes_them(tmp_path) -> None:
    torch_name = load_embedder(Settings.from_env({}, embed_runtime="torch")).name
    assert torch_name == load_embedder(Settings.from_env({}, embed_runtime="onnx")).name == LOCAL_MODEL_NAME
    int8 = load_embedder(Settings.from_env({}, embed_runtime="onnx-int8"))
    assert int8.name == LOCAL_MODEL_NAME + INT8_SUFFIX
    settings = make_settings(tmp_path, embed_runtime="onnx-int8")
    build_index(settings, int8)
    with pytest.raises(IndexMismatchError, match="rag index --rebuild"):
        open_index(settings, load_embedder(settings.replace(embed_runtime="torch")))


@pytest.mark.slow  # exports the model to ONNX
def test_the_onnx_export_is_made_once_and_reused(tmp_path) -> None:
    settings = Settings.from_env({}, model_cache=str(tmp_path / "cache"), embed_runtime="onnx-int8")
    from rag.convert import onnx_model
    from rag.embed import bundled_model_path

    first = onnx_model(bundled_model_path(), settings.model_cache_dir, int8=True)
    stamp = first.stat().st_mtime_ns
    assert onnx_model(bundled_model_path(), settings.model_cache_dir, int8=True) == first
    assert first.stat().st_mtime_ns == stamp
    assert first.with_name("model.onnx").exists() and first.stat().st_size < first.with_name("model.onnx").stat().st_size / 3


def test_an_unknown_runtime_is_refused_with_the_choices() -> None:
    with pytest.raises(ConfigError, match="onnx, onnx-int8, torch"):
        Settings.from_env({"RAG_EMBED_RUNTIME": "tensorflow"})


@pytest.mark.slow  # a process
def test_rag_ask_never_imports_torch(seed_settings) -> None:
    code = (
        "import sys\n"
        "from rag.cli import main\n"
        f"code = main(['--index-dir', {str(seed_settings.index_dir)!r}, 'ask', '--mode', 'extractive', "
        "'What did Hochstein warn Hezbollah?'])\n"
        "heavy = sorted(m for m in ('torch', 'sentence_transformers', 'transformers', 'llama_index') if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "HEAVY []" in done.stdout
    assert "[1]" in done.stdout  # a cited answer


def test_a_text_gets_the_same_vector_whatever_is_embedded_beside_it() -> None:
    embedder = load_embedder(Settings.from_env({}, embed_runtime="onnx-int8"))
    alone = embedder.embed(["Hochstein warned Hezbollah."])[0]
    crowded = embedder.embed(["x " * 200, "Hochstein warned Hezbollah.", "a much longer sentence " * 20])[1]
    assert np.array_equal(alone, crowded)
