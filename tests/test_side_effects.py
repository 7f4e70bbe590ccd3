"""The library leaves the process as it found it: indexing and answering change no state other code shares."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import SEEDS

ROOT = Path(__file__).resolve().parents[1]

# Runs in a fresh process, so that nothing another test imported first hides a change. The packages rag uses
# add warnings filters as they are imported (spaCy, torch, urllib3…): those are theirs, so the filters are
# followed to the code that adds them, and rag's own must be none.
SCRIPT = textwrap.dedent("""
    import json, logging, os, sys, warnings
    import nltk
    from transformers.utils import logging as hf_logging

    callers = []
    for name in ("filterwarnings", "simplefilter"):
        def spy(*args, _original=getattr(warnings, name), **kwargs):
            callers.append(sys._getframe(1).f_code.co_filename)
            return _original(*args, **kwargs)
        setattr(warnings, name, spy)

    def state():
        root = logging.getLogger()
        return {
            "environment": dict(os.environ),
            "sys.path": list(sys.path),
            "nltk.data.path": list(nltk.data.path),
            "logging disabled below": logging.root.manager.disable,
            "root logger level": root.level,
            "root handlers": [repr(h) for h in root.handlers],
            "root filters": [repr(f) for f in root.filters],
            "transformers progress bars": hf_logging.is_progress_bar_enabled(),
        }

    before = state()
    from rag import Assistant, Settings
    from rag.embed import load_embedder
    from rag.index import build_index

    settings = Settings.from_env({}, corpus=sys.argv[1], index_dir=sys.argv[2])
    build_index(settings, load_embedder(settings))
    with Assistant(settings) as assistant:
        answer = assistant.ask("What did Hochstein warn Hezbollah?")
        assistant.ask("where did lloyd austin meet yoav gallant")
    after = state()
    print(json.dumps({"answered": answer.answered, "changed": {k: [before[k], after[k]] for k in before
                                                               if before[k] != after[k]},
                      "filters added by": sorted({c for c in callers if "rag" in c.split(os.sep)})}))
""")


@pytest.mark.slow
def test_indexing_and_answering_leave_process_wide_state_as_they_found_it(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(SEEDS), str(tmp_path / "index")], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["answered"] and result["filters added by"] == []
    assert result["changed"] == {}, json.dumps(result["changed"], indent=1)[:6000]


def test_the_sentence_tokenizer_leaves_nltk_s_search_path_alone() -> None:
    import nltk

    from rag.chunk import sentence_tokenizer

    before = list(nltk.data.path)
    sentence_tokenizer.cache_clear()
    tokenizer = sentence_tokenizer()
    assert list(nltk.data.path) == before
    text = "Mr. Hochstein met Gen. Gallant at 9 a.m. on Monday. They spoke. Then he left."
    assert [text[a:b] for a, b in tokenizer.span_tokenize(text)] == [  # type: ignore[attr-defined]
        "Mr. Hochstein met Gen. Gallant at 9 a.m. on Monday.", "They spoke.", "Then he left."]


@pytest.mark.slow  # two new processes, each loading spaCy
def test_the_cli_alone_imports_spacy_without_torch() -> None:
    code = ("import sys; from rag.analyse import Analyser; Analyser().facts(['He met her.']); "
            "print('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    # the library imports spaCy as it is: thinc brings torch with it, and torch works afterwards
    assert done.stdout.strip().splitlines()[-1] == "True"
    code = ("import sys; from rag.analyse import Analyser, import_spacy_without_torch; import_spacy_without_torch(); "
            "Analyser().facts(['He met her.']); print('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "False"
