"""Train: how the reader model (`rag/weights/reader/`) is made from data the project writes itself.

`python -m train.questions` has a local LLM write questions about training articles;
`python -m train.fit` turns them into (question, sentence) pairs, fine-tunes the bundled
MiniLM encoder as a cross-encoder on them and exports it to int8 ONNX. Neither runs at
answer time; both need the dev install (torch, the local model).
"""
