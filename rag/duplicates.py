"""Duplicates: find near-duplicate articles (the same story saved twice, a syndicated copy with a few words edited).

An article is the set of 3-word shingles of its body (its chunks: page furniture is left out). A MinHash
signature (datasketch) of that set is computed once per article version and kept in the store; at the
end of each `rag index`, MinHashLSH proposes the pairs likely to overlap by THRESHOLD or more without
comparing every pair, the signatures' estimate confirms each, and connected pairs form a group.
Nothing is dropped: every copy stays indexed, and retrieval shows a passage they share once, with the
others "also in" (`rag.retrieve`).

THRESHOLD (Jaccard overlap of shingle sets) = 0.3. On the 305 real articles of the benchmark (the seeds
and gensim's Lee corpus of ABC news), the 11 pairs that are one story run twice (re-runs, a copy cut
short, a longer version of the same report) overlap by 0.52 to 0.98; every other pair by at most 0.10 (two
updates of the holiday road toll, same subject, other words). 0.3 sits in the middle of that gap: a copy
edited or cut more than those still counts, and reports of the same event in other words do not.
`tests/test_duplicates.py` checks that the groups match exact Jaccard on those articles.

NUM_PERM = 128 permutations (datasketch's default): the estimate's standard error is at most 0.044
(at an overlap of 0.5), small against the gap; a signature takes 512 bytes (32-bit scheme `affine32`).
Shingles are hashed with MurmurHash3 (`HASH`), where datasketch hashes with SHA-1 from Python: signing an
article takes about a third less time.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping

import mmh3
import numpy as np

# every character that is neither alnum nor whitespace (\w is `str.isalnum` or "_"; \s is `str.isspace`)
NOT_ALNUM = re.compile(r"[^\w\s]|_")
SHINGLE = 3  # words per shingle (for passages, `rag.retrieve`, and for articles)
THRESHOLD = 0.3
NUM_PERM = 128
SCHEME = "affine32"
# a stored signature is only comparable with one made the same way: a change here recomputes them all
SIGNATURE_VERSION = f"datasketch/{SCHEME}/{NUM_PERM}/{SHINGLE}/mmh3"
# a shingle's 32-bit hash: MurmurHash3 (a C extension), where datasketch's default is SHA-1 called from Python
HASH = functools.partial(mmh3.hash, signed=False)


def shingles(text: str, n: int = SHINGLE) -> frozenset[tuple[str, ...]]:
    """The set of n-word shingles of a text, lower-cased, punctuation stripped (only `str.isalnum` characters)."""
    words = _words(text)
    if len(words) < n:  # one short shingle (empty for a text without words)
        return frozenset({tuple(words)})
    return frozenset(zip(*(words[i:] for i in range(n))))


def _words(text: str) -> list[str]:
    """The text's words (split at whitespace), lower-cased, with every character that is not alnum taken out."""
    return NOT_ALNUM.sub("", text.lower()).split()


def jaccard(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


@functools.lru_cache(maxsize=1)
def _permutations() -> object:
    """The MinHash permutations (datasketch derives them from its fixed seed): made once, not per article."""
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, scheme=SCHEME).permutations


def signature(texts: Iterable[str]) -> bytes:
    """The MinHash signature of the union of the texts' shingles (an article's chunks), as stored."""
    from datasketch import MinHash

    minhash = MinHash(num_perm=NUM_PERM, scheme=SCHEME, permutations=_permutations(), hashfunc=HASH)
    every = frozenset().union(*map(shingles, texts))
    minhash.update_batch([" ".join(s).encode("utf-8") for s in every])  # in any order: each value is a minimum
    return minhash.hashvalues.tobytes()


def near_duplicate_groups(signatures: Mapping[str, bytes], threshold: float = THRESHOLD) -> list[tuple[str, ...]]:
    """Groups of two or more articles whose estimated overlap reaches `threshold`, each sorted, sorted by first id.

    Args:
        signatures: doc_id -> `signature(...)`.
        threshold: the least Jaccard overlap of two articles' shingle sets that makes them near-duplicates.
    """
    from datasketch import MinHash, MinHashLSH

    if len(signatures) < 2:
        return []
    minhashes = {
        doc_id: MinHash(num_perm=NUM_PERM, scheme=SCHEME, hashvalues=np.frombuffer(raw, dtype=np.uint32),
                        permutations=_permutations())
        for doc_id, raw in signatures.items()
    }
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    for doc_id, minhash in minhashes.items():
        lsh.insert(doc_id, minhash)
    parent = {doc_id: doc_id for doc_id in minhashes}

    def root(doc_id: str) -> str:
        while parent[doc_id] != doc_id:
            parent[doc_id] = parent[parent[doc_id]]
            doc_id = parent[doc_id]
        return doc_id

    for doc_id, minhash in minhashes.items():
        for other in lsh.query(minhash):
            if other > doc_id and minhash.jaccard(minhashes[other]) >= threshold:  # LSH proposes, the estimate confirms
                parent[root(other)] = root(doc_id)
    groups: dict[str, list[str]] = {}
    for doc_id in minhashes:
        groups.setdefault(root(doc_id), []).append(doc_id)
    return sorted(tuple(sorted(members)) for members in groups.values() if len(members) > 1)
