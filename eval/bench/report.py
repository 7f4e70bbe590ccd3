"""The benchmark's results as a markdown table (newsqa beside plain LlamaIndex, with ratios) and a PNG chart."""
from __future__ import annotations

from pathlib import Path

# (label, how to read it from a system's results, unit, which way is better)
ROWS = (
    ("indexing throughput, embeddings cached", lambda r: r["index_chunks_per_s"], "chunks/s", "higher"),
    ("same, without reading and chunking the files", lambda r: r["index_unchunked_chunks_per_s"], "chunks/s", "higher"),
    ("peak memory while indexing", lambda r: r["peak_mb"], "MiB", "lower"),
    ("index on disk", lambda r: r["disk_mb"], "MiB", "lower"),
    ("dense query p50 / p95", lambda r: (r["dense"]["p50_ms"], r["dense"]["p95_ms"]), "ms", "lower"),
    ("BM25 query p50 / p95", lambda r: (r["bm25"]["p50_ms"], r["bm25"]["p95_ms"]), "ms", "lower"),
    ("hybrid query p50 / p95", lambda r: (r["hybrid"]["p50_ms"], r["hybrid"]["p95_ms"]), "ms", "lower"),
    ("warm ask() p50 / p95 (no LLM)", lambda r: (r["ask"]["p50_ms"], r["ask"]["p95_ms"]), "ms", "lower"),
    ("memory while serving", lambda r: r["rss_serving_mb"], "MiB", "lower"),
    ("cold ask, new process", lambda r: r["cold_ask_s"], "s", "lower"),
)
SYSTEM_NAMES = {"newsqa": "newsqa", "llamaindex": "plain LlamaIndex"}


def _fmt(value: object) -> str:
    if isinstance(value, tuple):
        return " / ".join(_fmt(v) for v in value)
    number = float(value)  # type: ignore[arg-type]
    return f"{number:,.0f}" if number >= 100 else f"{number:.3g}"


def _ratio(ours: object, theirs: object) -> str:
    """newsqa ÷ LlamaIndex, on the p95 where there are two figures."""
    a = ours[-1] if isinstance(ours, tuple) else ours
    b = theirs[-1] if isinstance(theirs, tuple) else theirs
    return f"{float(a) / float(b):.2f}×" if float(b) else "–"  # type: ignore[arg-type]


def memory_per_chunk(results: dict, system: str) -> dict[str, float]:
    """Serving memory added per chunk (KiB) between consecutive sizes: the marginal cost, free of start-up memory."""
    sizes = sorted(results["sizes"], key=int)
    out = {}
    for small, large in zip(sizes, sizes[1:]):
        a, b = results["sizes"][small], results["sizes"][large]
        if system in a and system in b:
            grown = b[system]["rss_serving_mb"] - a[system]["rss_serving_mb"]
            out[f"{small}→{large}"] = grown * 1024 / (b["chunks"] - a["chunks"])
    return out


def _index_runs(row: dict) -> list[str]:
    """Each indexing run's time, and the ratio of each turn's pair, under a size's table."""
    runs = {system: row[system].get("index_runs_s") for system in SYSTEM_NAMES if system in row}
    if not all(runs.values()):  # results written before indexing was run more than once
        return []
    seconds = "; ".join(f"{SYSTEM_NAMES[system]} {', '.join(f'{s:.1f}' for s in times)}"
                        for system, times in runs.items())
    text = f"Indexing runs (s), the systems taking turns: {seconds}. The table gives each system's median run."
    if len(runs) == 2:
        ratios = [theirs / ours for ours, theirs in zip(runs["newsqa"], runs["llamaindex"])]
        text += f" Throughput ratio of each turn: {', '.join(f'{r:.2f}×' for r in ratios)}."
    return [text]


def markdown(results: dict, command: str) -> str:
    lines = [f"# Benchmark: newsqa beside plain LlamaIndex", "", f"Command: `{command}`  ", f"Machine: {results['machine']}  ",
             f"Created: {results.get('created', '')}", "",
             *(["**Stand-in vectors** (`--stand-in-vectors`): both systems indexed the same stand-in vectors, the "
                "model's vectors of 2,000 chunks with noise, in place of each chunk's own. The indexing figures "
                "hold; the query, ask and recall figures are not the model's.", ""]
               if results.get("settings", {}).get("stand_in_vectors") else []),
             "Ratios are newsqa ÷ plain LlamaIndex (on the p95 where two figures are given); the last column says "
             "which way is better.", ""]
    for size, row in sorted(results["sizes"].items(), key=lambda kv: int(kv[0])):
        lines += [f"## {row['chunks']:,} chunks ({row['articles']:,} articles, {row['real_articles']} of them real news)",
                  "", "| measure | newsqa | plain LlamaIndex | ratio | better |", "|---|---|---|---|---|"]
        for label, read, unit, better in ROWS:
            ours = read(row["newsqa"])
            theirs = read(row["llamaindex"]) if "llamaindex" in row else None
            lines.append(f"| {label} ({unit}) | {_fmt(ours)} | {_fmt(theirs) if theirs is not None else '–'} | "
                         f"{_ratio(ours, theirs) if theirs is not None else '–'} | {better} |")
        lines += ["", *_index_runs(row), ""]
    lines += ["## Memory per chunk (serving, marginal between sizes)", "", "| sizes | newsqa | plain LlamaIndex |",
              "|---|---|---|"]
    ours, theirs = memory_per_chunk(results, "newsqa"), memory_per_chunk(results, "llamaindex")
    for step, kib in ours.items():
        other = f"{theirs[step]:.2f} KiB" if step in theirs else "–"
        lines.append(f"| {step} | {kib:.2f} KiB | {other} |")
    seeds = results.get("cold_seeds")
    if seeds:
        lines += ["", f"## Cold start on the seeds", "",
                  f"`rag ask` in a new process on the five seed articles: median {seeds['median_s']:.2f} s, "
                  f"slowest {seeds['max_s']:.2f} s of {seeds['runs']} runs."]
    emb = results.get("embedding")
    if emb:
        speeds = emb["chunks_per_s"]
        torch = speeds.get("torch") or 1.0
        lines += ["", f"## Embedding runtimes ({emb['sample_chunks']} chunks of the corpus)", "",
                  "| runtime | chunks/s | × torch | dense passage recall@5 | hybrid passage recall@5 |",
                  "|---|---|---|---|---|"]
        for name, speed in speeds.items():
            quality = emb["quality"].get(name, {})
            dense = next((v for k, v in quality.items() if k.startswith("dense_passage")), None)
            hybrid = next((v for k, v in quality.items() if k.startswith("hybrid_passage")), None)
            lines.append(f"| {name} | {speed:.1f} | {speed / torch:.2f}× | "
                         f"{'–' if dense is None else f'{dense:.3f}'} | {'–' if hybrid is None else f'{hybrid:.3f}'} |")
    return "\n".join(lines) + "\n"


def chart(results: dict, path: Path) -> None:
    """Six panels, each a measure against corpus size, one line per system."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = (
        ("indexing, chunks/s", lambda r: r["index_chunks_per_s"]),
        ("hybrid query p95, ms", lambda r: r["hybrid"]["p95_ms"]),
        ("warm ask() p95, ms", lambda r: r["ask"]["p95_ms"]),
        ("cold ask, s", lambda r: r["cold_ask_s"]),
        ("peak memory indexing, MiB", lambda r: r["peak_mb"]),
        ("memory serving, MiB", lambda r: r["rss_serving_mb"]),
    )
    rows = sorted(results["sizes"].values(), key=lambda r: r["chunks"])
    fig, axes = plt.subplots(2, 3, figsize=(13, 7))
    for ax, (title, read) in zip(axes.flat, panels):
        for system, style in (("newsqa", "o-"), ("llamaindex", "s--")):
            points = [(r["chunks"], read(r[system])) for r in rows if system in r]
            if points:
                ax.plot(*zip(*points), style, label=SYSTEM_NAMES[system])
        ax.set_xscale("log")
        ax.set_title(title)
        ax.set_xlabel("chunks")
        ax.grid(alpha=0.3)
    axes.flat[0].legend()
    fig.suptitle(f"newsqa beside plain LlamaIndex ({results['machine']})")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
