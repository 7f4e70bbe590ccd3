"""Named corpora for the evaluation, each a folder of articles with its own index.

- "seeds": the five seed articles (the `seeds/` folder itself);
- "seeds+lee": the seeds plus the 300 ABC news articles of gensim's Lee corpus (`lee_000.txt` …), written
  exactly as the benchmark writes them (`eval.bench.corpus.real_articles`). Beside the seeds they are
  distractors; `eval/sets/lee.jsonl` asks about them.

Folders are written under the working folder's `.rag/eval-corpora/<name>/` (only files that are missing or
differ are written), and each corpus is indexed in `.rag/eval-corpora/<name>.index`, so the user's own
index is left alone.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rag.settings import Settings

CORPORA = ("seeds", "seeds+lee")
SEEDS = Path(__file__).resolve().parents[1] / "seeds"
HOME = Path(".rag") / "eval-corpora"  # relative to the working folder


@dataclass(frozen=True)
class EvalCorpus:
    name: str
    folder: Path
    index_dir: Path

    def settings(self, settings: Settings) -> Settings:
        """`settings` pointed at this corpus and its own index (a collection of its own on a Chroma server), which
        keeps the chunk texts in Chroma for the plain-LlamaIndex baseline that reads the same collection."""
        slug = re.sub(r"[^a-zA-Z0-9]+", "-", self.name).strip("-")
        return settings.replace(corpus=self.folder, index_dir=self.index_dir,
                                collection=f"{settings.collection}-eval-{slug}", chroma_documents=True)


def materialise(name: str, home: Path | None = None) -> EvalCorpus:
    """The corpus's folder, written if need be, and where its index goes.

    Raises:
        ValueError: not a known corpus name.
    """
    home = Path.cwd() / HOME if home is None else Path(home)
    if name == "seeds":
        return EvalCorpus(name, SEEDS, home / "seeds.index")
    if name != "seeds+lee":
        raise ValueError(f"unknown corpus {name!r}: choose one of {', '.join(CORPORA)}")
    from eval.bench.corpus import real_articles  # gensim and the chunker: only when needed

    folder = home / name
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {f"{stem}.txt": text for stem, text in real_articles()}
    for file, text in wanted.items():
        path = folder / file
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    for path in folder.iterdir():  # a stray article would change what is retrieved
        if path.is_file() and path.name not in wanted:
            path.unlink()
    return EvalCorpus(name, folder, home / f"{name}.index")
