"""Benchmark corpora: real news first, then articles recombined from real news sentences.

The real articles are the ~300 ABC news articles of gensim's Lee corpus
(`lee_background.cor`, shipped in the gensim package) and the five seeds. Recombined
articles draw 8 to 30 of their sentences at random (seeded), so every size is made the
same way on every machine, and each corpus is a prefix of the next larger one.
"""
from __future__ import annotations

import json
import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rag.chunk import chunk_article, searchable_text, sentence_tokenizer
from rag.embed import token_counter
from rag.ingest import parse_article
from rag.settings import Settings

CORPUS_VERSION = 2  # bump when generation changes: cached corpora are then rewritten
MANIFEST = "corpus.json"
SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@dataclass(frozen=True)
class Corpus:
    """A folder of article files, with the texts of the chunks `rag index` will make of them: as LlamaIndex is
    handed them (`chunk_texts`), and as newsqa embeds them, after their article's title and outlet
    (`search_texts`, `rag.chunk.searchable_text`)."""

    folder: Path
    articles: int
    real_articles: int
    chunk_texts: tuple[str, ...]
    search_texts: tuple[str, ...]


def lee_articles() -> list[str]:
    """The Lee corpus's ABC news articles, one string each."""
    from gensim.test.utils import datapath

    with open(datapath("lee_background.cor"), encoding="utf-8") as handle:
        return [line.strip() for line in handle if line.strip()]


def real_articles() -> list[tuple[str, str]]:
    """(file stem, text) of every real article: the seeds, then the Lee corpus with a headline line each."""
    out = [(path.stem, path.read_text(encoding="utf-8")) for path in sorted(SEEDS.glob("*.txt"))]
    for i, body in enumerate(lee_articles()):
        out.append((f"lee_{i:03d}", f"ABC news, Lee corpus article {i}\n{body}\n"))
    return out


def _articles(seed: int) -> Iterator[tuple[str, str]]:
    real = real_articles()
    yield from real
    tokenizer = sentence_tokenizer()
    sentences = [s for _, text in real for line in text.splitlines()[1:] for s in tokenizer.tokenize(line)]  # type: ignore[attr-defined]
    sentences = [s for s in sentences if 40 <= len(s) <= 400]
    rng = random.Random(seed)
    i = 0
    while True:
        picked = rng.sample(sentences, rng.randint(8, 30))
        paragraphs = [" ".join(picked[j : j + 3]) for j in range(0, len(picked), 3)]
        headline = " ".join(picked[0].split()[:10]).rstrip(".,;:")
        yield f"mix_{i:06d}", f"{headline}\n" + "\n".join(paragraphs) + "\n"
        i += 1


def make_corpus(folder: Path, n_chunks: int, settings: Settings, seed: int = 0) -> Corpus:
    """Write (or reuse) a corpus of articles that `rag index` cuts into at least `n_chunks` chunks."""
    wanted = {"version": CORPUS_VERSION, "n_chunks": n_chunks, "seed": seed,
              "chunking": [settings.chunk_tokens, settings.chunk_overlap]}
    manifest = folder / MANIFEST
    if manifest.exists():
        saved = json.loads(manifest.read_text())
        if saved.get("wanted") == wanted:
            return Corpus(folder, saved["articles"], saved["real_articles"], tuple(saved["chunk_texts"]),
                          tuple(saved["search_texts"]))
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    count = token_counter()
    texts: list[str] = []
    searched: list[str] = []
    articles = real = 0
    for stem, text in _articles(seed):
        path = folder / f"{stem}.txt"
        article = parse_article(path, text)
        if isinstance(article, str):
            continue
        path.write_text(text, encoding="utf-8")
        chunks = chunk_article(article, count, settings.chunk_tokens, settings.chunk_overlap)  # type: ignore[arg-type]
        texts.extend(c.text for c in chunks)
        searched.extend(searchable_text(article.title, article.outlet, c.text) for c in chunks)
        articles += 1
        real += not stem.startswith("mix_")
        if len(texts) >= n_chunks:
            break
    manifest.write_text(json.dumps({"wanted": wanted, "articles": articles, "real_articles": real,
                                    "chunk_texts": texts, "search_texts": searched}))
    return Corpus(folder, articles, real, tuple(texts), tuple(searched))
