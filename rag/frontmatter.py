"""Front matter: the YAML block between `---` lines at the top of a .md/.txt article (title, date, outlet, author, url)."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from rag.types import Metadata

OPENING = re.compile(r"\A\ufeff?---[ \t]*(?:\r\n|\r|\n)")
LINE = re.compile(r"([^\r\n]*)(\r\n|\r|\n|\Z)")
CLOSING = ("---", "...")
# Metadata field -> the front matter keys that give it (the first one present wins); other keys are ignored.
KEYS: dict[str, tuple[str, ...]] = {
    "title": ("title", "headline"),
    "outlet": ("outlet", "source", "publication", "publisher", "site_name", "site"),
    "author": ("author", "authors", "byline"),
    "date": ("date", "published", "publication_date", "pubdate"),
    "url": ("url", "link", "canonical_url", "canonical"),
}
FIX = "fix the lines between the `---` markers at the top of the file, or remove them"


@dataclass(frozen=True)
class FrontMatter:
    """A file's front matter: what it says, and the offset where the article text starts (after the closing line)."""

    meta: Metadata
    end: int


def split_front_matter(text: str) -> FrontMatter | str | None:
    """The front matter at the very top of `text`: None if there is none, a one-line reason if it is malformed."""
    opening = OPENING.match(text)
    if opening is None:
        return None
    block, end = None, 0
    for line in LINE.finditer(text, opening.end()):
        if line.group(1).rstrip() in CLOSING:
            block, end = text[opening.end() : line.start()], line.end()
            break
        if not line.group(2):  # the last line
            break
    if block is None:
        return ("starts with a `---` line, but no `---` line closes its front matter; "
                "add the closing line, or remove the first one")
    fields = _load(block)
    if isinstance(fields, str):
        return fields
    meta: dict[str, str | None] = {}
    for name, keys in KEYS.items():
        value = next((fields[k] for k in keys if fields.get(k) is not None), None)
        try:
            meta[name] = _date(value) if name == "date" else _text(name, value)
        except _Malformed as exc:
            return str(exc)
    return FrontMatter(Metadata(**meta), end)


class _Malformed(Exception):
    """A front matter value that cannot be used; the message is the skip reason."""


def _load(block: str) -> dict[str, object] | str:
    """The front matter's `key: value` pairs (keys lower-cased), or a reason why they cannot be read."""
    import yaml

    try:
        data = yaml.safe_load(block)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" on line {mark.line + 2} of the file" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return f"has malformed front matter (YAML error{where}: {problem}); {FIX}"
    if data is None:
        return {}
    if not isinstance(data, dict):
        return f"has malformed front matter (it is not `key: value` lines); {FIX}"
    return {str(k).strip().lower(): v for k, v in data.items()}


def _text(name: str, value: object) -> str | None:
    """A text field; a list (several authors) is joined with commas."""
    if value is None:
        return None
    if isinstance(value, list) and name == "author" and all(_is_scalar(v) for v in value):
        joined = ", ".join(" ".join(str(v).split()) for v in value if v is not None)
        return joined or None
    if not _is_scalar(value):
        raise _Malformed(f"has malformed front matter (`{name}` must be one line of text, not a "
                         f"{type(value).__name__}); {FIX}")
    return " ".join(str(value).split()) or None


def _date(value: object) -> str | None:
    """The date as `YYYY-MM-DD`."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        for parse in (dt.date.fromisoformat, dt.datetime.fromisoformat):
            try:
                parsed = parse(value.strip())
            except ValueError:
                continue
            return (parsed.date() if isinstance(parsed, dt.datetime) else parsed).isoformat()
    shown = str(value)[:40]
    raise _Malformed(f"has a front matter date {shown!r} that is not a date; write it as YYYY-MM-DD "
                     "(e.g. date: 2024-03-14)")


def _is_scalar(value: object) -> bool:
    return isinstance(value, (str, int, float, dt.date))
