"""Plain LlamaIndex's cold start: `python -m eval.bench.coldask INDEX_DIR QUESTION` opens the index and retrieves.

What a LlamaIndex user's script does for one question without an LLM: load the vector store
index with its HuggingFace embedding, query with `response_mode="no_text"`, print the top chunk.
"""
from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    from eval.bench.measure import llamaindex_engine, llamaindex_open

    _, dense, _, _ = llamaindex_open(Path(argv[0]), top_k=5)
    engine = llamaindex_engine(dense)
    nodes = engine.query(argv[1]).source_nodes
    print(nodes[0].get_content() if nodes else "(nothing retrieved)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
