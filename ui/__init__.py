"""The chat in the browser (`rag ui`): a Gradio page over `rag.pipeline.Assistant`.

| module        | does                                                                   |
|---------------|------------------------------------------------------------------------|
| `app.py`      | lays out the page, wires its events, launches it on 127.0.0.1          |
| `chat.py`     | turns one question into streamed chat messages (or an error)           |
| `render.py`   | Answers, articles and errors as escaped HTML                           |
| `commands.py` | `rag ui`'s options and handler, registered with `rag` (pyproject.toml) |
| `assets/`     | the page's CSS and the side panel's script                             |
"""
