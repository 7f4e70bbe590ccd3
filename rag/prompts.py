"""Fixed phrases and prompts, as named constants. Tests assert on the sentinel phrases."""
from __future__ import annotations

# Every refusal starts with this phrase, whichever answerer wrote it.
CANNOT_ANSWER = "The articles don't say"

REFUSAL_MISSING_TERMS = CANNOT_ANSWER + ". None of the passages found mentions {terms}."
REFUSAL_WEAK_EVIDENCE = CANNOT_ANSWER + ". The closest passages do not answer this question."
REFUSAL_EMPTY_INDEX = CANNOT_ANSWER + ": no articles are indexed. Add .txt or .md files and run `rag index`."
