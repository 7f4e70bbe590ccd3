"""Shared fixtures: the real embedding model, real Chroma and BM25 over the real seed articles.

Nothing is faked here: the only model is the bundled all-MiniLM-L6-v2, loaded once per session.
"""
from __future__ import annotations

import shutil
import socket
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from rag.embed import Embedder, load_embedder
from rag.index import build_index
from rag.pipeline import Assistant
from rag.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
HOCHSTEIN = "000_290ddbd9adc3a4b1"


class CountingEmbedder:
    """The real embedder, recording which texts it was asked to embed."""

    def __init__(self, inner: Embedder, name: str | None = None) -> None:
        self._inner = inner
        self.name = name or inner.name
        self.calls: list[list[str]] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return self._inner.embed(texts)

    @property
    def texts(self) -> list[str]:
        return [t for call in self.calls for t in call]


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return load_embedder(Settings.from_env({}))


def make_settings(tmp: Path, corpus: Path = SEEDS, **overrides: object) -> Settings:
    """Settings isolated from the environment, with the index in `tmp`."""
    return Settings.from_env({}, corpus=str(corpus), index_dir=str(tmp / "index"), **overrides)


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Settings:
    """An index of the five seed articles, built once for the session (tests must not change it)."""
    settings = make_settings(tmp_path_factory.mktemp("seeds"))
    build_index(settings, embedder)
    return settings


@pytest.fixture(scope="session")
def seed_assistant(seed_settings: Settings) -> Assistant:
    return Assistant(seed_settings)


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A writable copy of the seed articles."""
    folder = tmp_path / "articles"
    shutil.copytree(SEEDS, folder)
    return folder


def original(doc_id: str) -> str:
    """An article's text exactly as on disk."""
    return (SEEDS / f"{doc_id}.txt").read_bytes().decode("utf-8")


def free_port() -> int:
    """A loopback port nothing listens on (just released by the OS)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
