"""Train: how the reader's weights (`rag/weights/reader.json`) are made from data the project writes itself.

`python -m train.questions` has a local LLM write questions about training articles (and
`train.answer_questions`, `train.unanswerable` other kinds of them); `python -m train.fit` turns them into
(question, sentence) pairs and fits the reader's logistic regression on the features of `rag.read`.
None of it runs at answer time; it needs the `train` extra and, to write questions, the local model.
"""
