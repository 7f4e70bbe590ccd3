"""Settings come from the environment and explicit overrides, and bad values are named."""
from __future__ import annotations

from pathlib import Path

import pytest

from rag.errors import ConfigError
from rag.settings import Settings


def test_environment_variables_fill_the_fields() -> None:
    settings = Settings.from_env({"RAG_TOP_K": "8", "RAG_INDEX_DIR": "/tmp/x", "OPENAI_BASE_URL": "http://h:1/v1"})
    assert (settings.top_k, settings.index_dir, settings.openai_base_url) == (8, Path("/tmp/x"), "http://h:1/v1")


def test_overrides_beat_the_environment_and_none_leaves_a_field_alone() -> None:
    settings = Settings.from_env({"RAG_TOP_K": "8"}, top_k=3, mode=None)
    assert (settings.top_k, settings.mode) == (3, "auto")


@pytest.mark.parametrize(
    ("env", "overrides", "message"),
    [
        ({"RAG_TOP_K": "many"}, {}, "RAG_TOP_K must be a whole number"),
        ({"RAG_MODE": "psychic"}, {}, "Unknown mode 'psychic'"),
        ({}, {"top_k": 0}, "top_k must be between 1 and 100"),
        ({}, {"colour": "red"}, "Unknown option 'colour'"),
        ({"RAG_CHUNK_OVERLAP": "300"}, {}, "chunk_overlap (300) must be smaller"),
    ],
)
def test_bad_values_are_named_with_what_to_do(env, overrides, message) -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env(env, **overrides)
    assert message in str(error.value)


def test_the_api_key_is_not_shown_in_repr() -> None:
    assert "sk-secret" not in repr(Settings.from_env({"OPENAI_API_KEY": "sk-secret"}))


@pytest.mark.parametrize(("raw", "value"), [("1", True), ("true", True), ("Yes", True), ("0", False), ("off", False)])
def test_switches_read_true_and_false(raw: str, value: bool) -> None:
    assert Settings.from_env({"RAG_STRICT": raw}).strict is value


def test_a_switch_with_another_value_is_named() -> None:
    with pytest.raises(ConfigError, match="RAG_STRICT must be true or false"):
        Settings.from_env({"RAG_STRICT": "maybe"})


def test_llm_settings_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {"RAG_MODE": "local", "RAG_LLM_MODEL": "llama3", "RAG_LLM_TIMEOUT": "5", "RAG_LOCAL_MODEL": "~/m.gguf"}
    )
    assert (settings.mode, settings.llm_model, settings.llm_timeout) == ("local", "llama3", 5.0)
    assert settings.local_model == Path("~/m.gguf").expanduser()
