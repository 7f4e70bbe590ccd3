"""Shared fixtures: the real embedding model, real Chroma and BM25 over the real seed articles.

Nothing is faked here: the only model is the bundled all-MiniLM-L6-v2, loaded once per session.
"""
from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from rag.analyse import Analyser
from rag.embed import Embedder, load_embedder
from rag.index import build_index
from rag.pipeline import Assistant
from rag.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
HOCHSTEIN = "000_290ddbd9adc3a4b1"
# Fixtures that start a server (Chroma, the bundled model) or index the 300 Lee articles: a test using one is
# in the slow tier.
SLOW_FIXTURES = {"chroma_server", "lee_settings", "llama_server", "local_model"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark slow every test that uses a slow fixture, so `make check` (`-m "not slow"`) leaves it out."""
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


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


@pytest.fixture(scope="session")
def analyser() -> Analyser:
    """spaCy's parser with its entity recogniser, as the reader loads it."""
    return Analyser(entities=True)


def make_settings(tmp: Path, corpus: Path = SEEDS, chroma_url: str | None = None, **overrides: object) -> Settings:
    """Settings isolated from the environment, with the index in `tmp`.

    With `chroma_url`, the vectors go to that Chroma server, in a collection named after `tmp`
    (tests share one server).
    """
    if chroma_url:
        overrides["collection"] = "t-" + re.sub(r"[^a-zA-Z0-9]+", "-", tmp.name).strip("-")[:60]
    return Settings.from_env({}, corpus=str(corpus), index_dir=str(tmp / "index"), chroma_url=chroma_url,
                             **overrides)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `chroma run` server on 127.0.0.1, for the session; yields its URL."""
    executable = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    folder = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    log = open(folder / "server.log", "wb")
    server = subprocess.Popen(
        [executable, "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(folder / "data")],
        stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2).read()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError(f"`chroma run` did not start: {(folder / 'server.log').read_text()[-2000:]}")
            time.sleep(0.2)
    yield url
    server.terminate()
    server.wait(timeout=30)
    log.close()


@pytest.fixture(params=["embedded", pytest.param("server", marks=pytest.mark.slow)])
def chroma_url(request: pytest.FixtureRequest) -> str | None:
    """Run a test with Chroma embedded (None) and against a `chroma run` server (its URL)."""
    return None if request.param == "embedded" else request.getfixturevalue("chroma_server")


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Settings:
    """An index of the five seed articles, built once for the session (tests must not change it)."""
    settings = make_settings(tmp_path_factory.mktemp("seeds"))
    build_index(settings, embedder)
    return settings


@pytest.fixture(scope="session")
def lee_settings(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Settings:
    """An index of the seeds beside the 300 ABC articles of gensim's Lee corpus, built once for the session."""
    from eval.bench.corpus import real_articles

    tmp = tmp_path_factory.mktemp("seeds-lee")
    folder = tmp / "articles"
    folder.mkdir()
    for stem, text in real_articles():
        (folder / f"{stem}.txt").write_text(text, encoding="utf-8")
    settings = make_settings(tmp, corpus=folder)
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


def listening(port: int) -> list[str]:
    """The local addresses listening on `port`, from /proc/net/tcp and tcp6 (any IPv6 one shows as "ipv6")."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in open(table).read().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            addr, hexport = local.split(":")
            if int(hexport, 16) == port and state == "0A":  # LISTEN
                found.append(socket.inet_ntoa(bytes.fromhex(addr)[::-1]) if table.endswith("tcp") else "ipv6")
    return found
