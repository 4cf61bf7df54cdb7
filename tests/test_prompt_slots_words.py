"""Volatility by word, narrowed where the words misfire."""

from __future__ import annotations

import pytest

from aiinfralint.model.prompt import EXPERIMENT, IDENTITY, REQUEST, TIME, UNKNOWN
from aiinfralint.parsers.prompt_slots import classify


@pytest.mark.parametrize(
    "expr,cls",
    [
        # what the user sent on this call, not who the user is
        ("user_message", REQUEST),
        ("userMessage", REQUEST),
        ("customer_query", REQUEST),
        ("user_input", REQUEST),
        # a reinforcement-learning rollout, not a feature rollout
        ("rollout_contents", UNKNOWN),
        ("rollouts", UNKNOWN),
        ("rollout_percentage", EXPERIMENT),
        # a kind or a format is the same across calls
        ("requestType", UNKNOWN),
        ("date_format", UNKNOWN),
        ("session_mode", UNKNOWN),
        # unchanged
        ("user_tier", IDENTITY),
        ("user.name", IDENTITY),
        ("user_type", IDENTITY),
        ("request_id", REQUEST),
        ("current_date", TIME),
        ("datetime.now().strftime(date_format)", TIME),
        ("experiment_arm", EXPERIMENT),
    ],
)
def test_classify_narrowed_words(expr: str, cls: str):
    assert classify(expr)[0] == cls
