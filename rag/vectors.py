"""Dense vectors in Chroma: embedded PersistentClient by default, a Chroma server when a URL is set.

The project computes every embedding itself; the collection never gets an embedding
function (Chroma's default one downloads a model).
"""
from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from rag.errors import ConfigError, IndexMismatchError, IndexMissingError
from rag.settings import Settings
from rag.types import Chunk

EMBED_MODEL_KEY = "embed_model"
DOCUMENTS_KEY = "newsqa_documents"  # whether the collection also holds each chunk's text (Settings.chroma_documents)
CHROMA_DIR = "chroma"


class VectorIndex:
    """One Chroma collection of chunk vectors, tagged with the model that made them."""

    def __init__(self, collection: object, client: object | None = None) -> None:
        self._collection = collection
        self._client = client
        # collections made before the setting existed hold the texts: they keep doing so, to stay whole
        self.documents = bool((getattr(collection, "metadata", None) or {}).get(DOCUMENTS_KEY, True))

    def close(self) -> None:
        """Release this index's Chroma client (Chroma stops its embedded store when no other client uses it)."""
        client, self._client = self._client, None
        _close(client)

    @property
    def collection(self) -> object:
        """The Chroma collection itself: for the plain-LlamaIndex baseline in eval/, which reads the same data."""
        return self._collection

    @classmethod
    def open(cls, settings: Settings, embed_model: str, create: bool) -> VectorIndex:
        """Open (or create) the collection and refuse it if another model built it.

        Raises:
            IndexMissingError: `create` is False and there is no collection.
            IndexMismatchError: the collection was built with another embedding model.
        """
        client = _client(settings)
        try:
            return cls._opened(client, settings, embed_model, create)
        except BaseException:
            _close(client)
            raise

    @classmethod
    def _opened(cls, client: object, settings: Settings, embed_model: str, create: bool) -> VectorIndex:
        try:
            collection = client.get_collection(settings.collection, embedding_function=None)
        except Exception as exc:  # chromadb raises NotFoundError (or ValueError on older servers)
            if not create:
                raise IndexMissingError(
                    f"No index at {_where(settings)}. Run `rag index` first (or call rag.build_index())."
                ) from exc
            collection = client.create_collection(
                settings.collection,
                embedding_function=None,
                metadata={EMBED_MODEL_KEY: embed_model, DOCUMENTS_KEY: settings.chroma_documents},
                configuration={"hnsw": {"space": "cosine"}},
            )
        built_with = (collection.metadata or {}).get(EMBED_MODEL_KEY)
        if built_with != embed_model:
            raise IndexMismatchError(
                f"The index at {_where(settings)} was built with embedding model {built_with!r}, but the settings "
                f"ask for {embed_model!r}; mixing them would make search meaningless. Set RAG_EMBED_MODEL (or RAG_EMBED_RUNTIME) back, or "
                f"rebuild with `rag index --rebuild`."
            )
        index = cls(collection, client)
        if settings.chroma_documents and not index.documents:
            raise IndexMismatchError(
                f"The index at {_where(settings)} keeps no chunk texts in Chroma, but RAG_CHROMA_DOCUMENTS asks for "
                "them. Rebuild it with `rag index --rebuild`, or unset RAG_CHROMA_DOCUMENTS."
            )
        return index

    @classmethod
    def drop(cls, settings: Settings) -> None:
        """Delete the collection if it exists."""
        client = _client(settings)
        try:
            if any(c.name == settings.collection for c in _collections(client)):
                client.delete_collection(settings.collection)
        finally:
            _close(client)

    def add(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        step = 1000
        for i in range(0, len(chunks), step):
            part = chunks[i : i + step]
            self._collection.add(  # type: ignore[attr-defined]
                ids=[c.id for c in part],
                embeddings=vectors[i : i + step],
                **({"documents": [c.text for c in part]} if self.documents else {}),
                metadatas=[self._metadata(c) for c in part],
            )

    def _metadata(self, chunk: Chunk) -> dict[str, str | int]:
        """The article id, which searches filter on; with the texts, their offsets in the article too, for
        tools that read the collection directly (newsqa reads offsets from its store, and every metadata
        key costs Chroma time: two fewer make adding 10,000 vectors about a tenth faster)."""
        if self.documents:
            return {"doc_id": chunk.doc_id, "start": chunk.start, "end": chunk.end}
        return {"doc_id": chunk.doc_id}

    def delete(self, doc_ids: Sequence[str]) -> None:
        """Drop every vector of these articles."""
        step = 500
        for i in range(0, len(doc_ids), step):
            self._collection.delete(where={"doc_id": {"$in": list(doc_ids[i : i + step])}})  # type: ignore[attr-defined]

    def count(self) -> int:
        return int(self._collection.count())  # type: ignore[attr-defined]

    def query(self, vector: np.ndarray, n: int, doc_ids: Collection[str] | None = None) -> list[tuple[str, float]]:
        """The `n` nearest chunks as (id, cosine similarity), best first; only chunks of `doc_ids` unless it is None."""
        n = min(n, self.count())
        if n == 0 or (doc_ids is not None and not doc_ids):
            return []
        where = None if doc_ids is None else {"doc_id": {"$in": sorted(doc_ids)}}
        result = self._collection.query(  # type: ignore[attr-defined]
            query_embeddings=[vector], n_results=n, where=where, include=["distances"]
        )
        return [(i, 1.0 - float(d)) for i, d in zip(result["ids"][0], result["distances"][0])]


def _client(settings: Settings) -> object:
    import chromadb

    chroma_settings = chromadb.Settings(anonymized_telemetry=False)
    if not settings.chroma_url:
        return chromadb.PersistentClient(path=str(Path(settings.index_dir) / CHROMA_DIR), settings=chroma_settings)
    url = urlparse(settings.chroma_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ConfigError(f"RAG_CHROMA_URL must look like http://host:8000, got {settings.chroma_url!r}.")
    try:
        return chromadb.HttpClient(
            host=url.hostname,
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
    except Exception as exc:
        raise ConfigError(
            f"Cannot reach the Chroma server at {settings.chroma_url} ({exc}). Start it (`chroma run`) "
            "or unset RAG_CHROMA_URL to use the embedded store."
        ) from None


def _close(client: object) -> None:
    """Release a Chroma client: chromadb counts the clients of one store and stops it with the last one."""
    close = getattr(client, "close", None)  # older chromadb clients have no close()
    if close is not None:
        close()


def _collections(client: object) -> list[object]:
    return list(client.list_collections())  # type: ignore[attr-defined]


def _where(settings: Settings) -> str:
    return settings.chroma_url or str(settings.index_dir)
