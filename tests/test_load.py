"""A bounded load test of the chat in CI: several users in parallel for a fixed time, no errors, no cross-talk."""
from __future__ import annotations

import os

import pytest

from eval.load import run

USERS = int(os.environ.get("RAG_LOAD_USERS", "6"))
SECONDS = float(os.environ.get("RAG_LOAD_SECONDS", "20"))

# Users in parallel for 20 s.
pytestmark = pytest.mark.slow


def test_parallel_users_all_get_their_own_answers(seed_settings) -> None:
    result = run(seed_settings, users=USERS, seconds=SECONDS, turns=4)
    print(result)
    assert result["errors"] == [] and result["crosstalk"] == []
    assert all(n >= 2 for n in result["per_user_answers"]), result["per_user_answers"]  # nobody starved
    assert result["answers"] >= USERS * 2 and result["latency_s"]["p50"] > 0
