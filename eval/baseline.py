"""The baseline: plain LlamaIndex on the same Chroma data, to put next to this project's numbers.

- No LLM: `VectorStoreIndex.from_vector_store(ChromaVectorStore(the same collection))` with
  LlamaIndex's own HuggingFace embedding of the same model, dense top-k only; the answer is the
  top retrieved chunk, cited (what a tool that "lists the retrieved chunks" shows). It never refuses.
- With an LLM (the same endpoint or local server the project's mode uses): `CitationQueryEngine`
  over the same index (`citation_engine`), with LlamaIndex's own prompts; its "Source N" citations are mapped back to
  offsets in the articles so the same metrics apply.
No LlamaIndex global is set: the embedding model and LLM are passed in.
"""
from __future__ import annotations

import os
from collections.abc import Callable

from rag.chunk import sentence_tokenizer
from rag.cite import parse_markers, split_sentences
from rag.text import says_cannot_answer
from rag.embed import bundled_model_path
from rag.errors import ConfigError
from rag.llm import Endpoint
from rag.pipeline import Assistant
from rag.types import Answer, AnswerSentence, Citation, Passage, Span

NAME = "llamaindex"


def llamaindex_embedding() -> object:
    """LlamaIndex's own `HuggingFaceEmbedding` (torch) of the bundled model, loaded offline."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    return HuggingFaceEmbedding(model_name=str(bundled_model_path()), device="cpu")


class LlamaIndexBaseline:
    """Plain LlamaIndex over the Assistant's own Chroma collection; `originals` maps doc_id to article text."""

    DENSE = f"{NAME}:dense"
    CITED = f"{NAME}:citation-query-engine"

    def __init__(self, assistant: Assistant, top_k: int, originals: dict[str, str]) -> None:
        from llama_index.core import VectorStoreIndex
        from llama_index.vector_stores.chroma import ChromaVectorStore

        if not assistant.index.vectors.documents:
            raise ConfigError(
                "The baseline (plain LlamaIndex) reads the chunk texts from Chroma, and this index keeps none there. "
                "Rebuild it with RAG_CHROMA_DOCUMENTS=true `rag index --rebuild`, or add --no-baseline.")
        store = ChromaVectorStore(chroma_collection=assistant.index.vectors.collection)
        self._index = VectorStoreIndex.from_vector_store(store, embed_model=llamaindex_embedding())
        self._top_k = top_k
        self._retriever = self._index.as_retriever(similarity_top_k=top_k)
        self._articles = {a.doc_id: a for a in assistant.articles()}
        self._texts = originals
        self._tokenizer = sentence_tokenizer()

    def citation_engine(self, endpoint: Endpoint) -> Callable[[str], Answer]:
        """`CitationQueryEngine` over the same index, with the LLM at `endpoint`: a function of the question."""
        from llama_index.core.query_engine import CitationQueryEngine
        from llama_index.llms.openai_like import OpenAILike

        llm = OpenAILike(model=endpoint.model, api_base=endpoint.base_url, api_key=endpoint.api_key or "none",
                         is_chat_model=True, temperature=0.0, max_tokens=300, context_window=4096, timeout=120)
        engine = CitationQueryEngine.from_args(self._index, llm=llm, similarity_top_k=self._top_k)
        return lambda question: self._cited(engine, question)

    def ask(self, question: str) -> Answer:
        """Dense top-k; the answer is the top chunk, cited."""
        passages = [self._passage(n) for n in self._retriever.retrieve(question)]
        if not passages:
            return Answer(question, "", False, self.DENSE, (), (), ())
        top = passages[0]
        citation = self._citation(1, top.doc_id, top.start, top.end)
        sentences = tuple(AnswerSentence(s, (1,), True) for s in self._tokenizer.tokenize(top.text))
        return Answer(question, f"{top.text} [1]", True, self.DENSE, (citation,), sentences, tuple(passages))

    def _cited(self, engine: object, question: str) -> Answer:
        response = engine.query(question)  # type: ignore[attr-defined]
        sources = [self._source_span(n) for n in response.source_nodes]
        passages = tuple(self._passage(n) for n in response.source_nodes)
        text = str(response).strip()
        citations: dict[int, Citation] = {}
        sentences = []
        for raw in split_sentences(text):
            m = parse_markers(raw, len(sources))
            if not m.text:
                continue
            for n in m.numbers:
                if n not in citations and sources[n - 1] is not None:
                    doc_id, span = sources[n - 1]
                    citations[n] = self._citation(n, doc_id, span.start, span.end)
            sentences.append(AnswerSentence(m.text, tuple(n for n in m.numbers if n in citations), True))
        answered = bool(sentences) and not all(says_cannot_answer(s.text) for s in sentences)
        return Answer(question, text, answered, self.CITED, tuple(citations.values()), tuple(sentences), passages)

    def _passage(self, hit: object) -> Passage:
        node, meta = hit.node, hit.node.metadata  # type: ignore[attr-defined]
        doc_id, start, end = meta["doc_id"], int(meta["start"]), int(meta["end"])
        info = self._articles.get(doc_id)
        text = self._texts.get(doc_id, "")[start:end]
        sentences = tuple(Span(start + a, start + b) for a, b in self._tokenizer.span_tokenize(text))
        return Passage(node.node_id, doc_id, info.title if info else doc_id, info.outlet if info else None,
                       text, start, end, sentences, float(hit.score or 0.0))  # type: ignore[attr-defined]

    def _source_span(self, hit: object) -> tuple[str, Span] | None:
        """Where a CitationQueryEngine source (a piece of a chunk, prefixed "Source N:") lies in its article."""
        meta = hit.node.metadata  # type: ignore[attr-defined]
        body = hit.node.get_content().split(":", 1)[-1].strip()  # type: ignore[attr-defined]
        article = self._texts.get(meta["doc_id"], "")
        at = article.find(body, int(meta["start"]))
        return (meta["doc_id"], Span(at, at + len(body))) if body and at >= 0 else None

    def _citation(self, n: int, doc_id: str, start: int, end: int) -> Citation:
        info = self._articles.get(doc_id)
        return Citation(n, doc_id, info.title if info else doc_id, info.outlet if info else None,
                        self._texts[doc_id][start:end], start, end)
