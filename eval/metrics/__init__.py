"""Metrics: one small module each, all computed from the project's own types (Question, Answer, Passage).

| module            | measures                                                                   |
|-------------------|----------------------------------------------------------------------------|
| `retrieval.py`    | recall@k and MRR of the gold articles and the gold passages                 |
| `correctness.py`  | key-fact coverage, correctness (false premises too), yes/no stated, the first sentence alone right |
| `consistency.py`  | paraphrase groups whose phrasings all get the same verdict                  |
| `refusal.py`      | refusal precision and recall (unanswerable questions are the positives)     |
| `citations.py`    | citation validity (offsets reproduce quotes); ALCE citation recall/precision |
| `faithfulness.py` | sentences supported by the retrieved passages: offline checker, or LLM judge |
| `checker.py`      | the offline checker's precision/recall on hand-labelled (sentence, passage) pairs |
"""
