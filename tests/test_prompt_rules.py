"""Prompt rules: thresholds, options, traffic config, suppressions, corpus robustness."""

from __future__ import annotations

import json

import pytest
from conftest import CORPUS

from aiinfralint.config import Config

POLICY = " ".join(f"Rule {i}: answer only from the refund table and cite the row you used." for i in range(1, 16))


def prompty(system: str) -> str:
    return f"---\nname: refunds\nmodel: gpt-4o\n---\nsystem:\n{system}\n\nuser:\n{{{{ question }}}}\n"


def codes(result, prefix="AIL1"):
    return sorted((f.code, f.span.line) for f in result.findings if f.code.startswith(prefix))


def test_volatile_slot_at_the_end_is_not_reported(run_check):
    result = run_check({"prompts/r.prompty": prompty(f"{POLICY}\nToday is {{{{ today }}}}.")})
    assert codes(result) == []


def test_volatile_slot_early_is_reported_with_cost(run_check):
    long_policy = "\n".join([POLICY] * 5)  # above gpt-4o's 1,024-token caching minimum
    result = run_check({"prompts/r.prompty": prompty(f"Today is {{{{ today }}}}.\n{long_policy}")})
    [f] = [f for f in result.findings if f.code == "AIL101"]
    assert f.span.line == 6 and "`today` (time)" in f.message and "(per day)" in f.message
    assert f.impact.usd_per_month > 0
    assert any("gpt-4o" in a for a in f.impact.assumptions)
    assert any("default traffic" in a for a in f.impact.assumptions)


def test_unknown_value_first_is_not_blamed_on_a_later_volatile_one(run_check):
    result = run_check(
        {"prompts/r.prompty": prompty(f"Context: {{{{ context }}}}\nToday is {{{{ today }}}}.\n{POLICY}")}
    )
    assert codes(result) == []


def test_threshold_and_classes_options(run_check):
    cfg = Config(rules={"AIL101": {"min-static-tokens-after": 5000}})
    result = run_check({"prompts/r.prompty": prompty(f"Today is {{{{ today }}}}.\n{POLICY}")}, config=cfg)
    assert codes(result) == []


def test_traffic_by_prompt_name(run_check):
    cfg = Config.model_validate({"traffic": {"prompts": {"refunds": 100}}})
    result = run_check({"prompts/r.prompty": prompty(f"Today is {{{{ today }}}}.\n{POLICY}")}, config=cfg)
    [f] = [f for f in result.findings if f.code == "AIL101"]
    assert any("100 calls/day" in a for a in f.impact.assumptions)


def test_jinja_suppression_comment(run_check):
    src = prompty(f"Today is {{{{ today }}}}. {{# aiinfralint: ignore[AIL101] date-stamped on purpose #}}\n{POLICY}")
    result = run_check({"prompts/r.prompty": src})
    assert codes(result) == []
    assert any(f.code == "AIL101" for f in result.suppressed)


def test_python_suppression_comment(run_check):
    src = (
        "from openai import OpenAI\nfrom datetime import datetime\nclient = OpenAI()\n"
        f"POLICY = {POLICY!r}\n\n"
        "def ask(q):\n"
        '    system = f"Now: {datetime.now()}. " + POLICY  # aiinfralint: ignore[AIL101] audit trail\n'
        "    return client.chat.completions.create(model='gpt-4o', messages=[{'role': 'system', 'content': system}, {'role': 'user', 'content': q}])\n"
    )
    result = run_check({"ask.py": src})
    assert codes(result) == []


def test_token_budget_from_config(run_check):
    cfg = Config.model_validate({"prompt": {"token_budget": 50}})
    result = run_check({"prompts/r.prompty": prompty(POLICY)}, config=cfg)
    [f] = [f for f in result.findings if f.code == "AIL104"]
    assert "over the 50-token budget" in f.message and f.impact.tokens > 50
    assert codes(run_check({"prompts/r.prompty": prompty(POLICY)})) == []


@pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus not present")
def test_corpus_runs_quietly(tmp_path):
    from aiinfralint.pipeline.engine import RunOptions, run

    # speed is measured by bench/run.py against the corpus, not asserted here (a loaded CI
    # machine would make a wall-clock limit flaky); a rule crash raises out of run()
    result = run(
        RunOptions(paths=[str(CORPUS)], config=Config(), cwd=tmp_path, select=["AIL1"], use_cache=False, jobs=1)
    )
    internal = [f for f in result.findings if "internal error" in f.message]
    assert not internal, [f.message for f in internal]
    # model chat templates are never prompts
    assert not [f for f in result.findings if "chat_templates" in f.span.path]
    json.dumps([f.message for f in result.findings])


def test_unsorted_json_at_the_very_end_of_the_system_prompt_costs_nothing(run_check):
    src = (
        "import json\nfrom openai import OpenAI\nclient = OpenAI()\n"
        f"POLICY = {POLICY!r}\n\n"
        "def ask(q, schema):\n"
        "    system = POLICY + 'Answer as JSON of this schema: ' + json.dumps(schema)\n"
        "    return client.chat.completions.create(model='gpt-4o', messages=[{'role': 'system', 'content': system}, {'role': 'user', 'content': q}])\n"
    )
    assert codes(run_check({"ask.py": src}), "AIL105") == []
    early = src.replace(
        "POLICY + 'Answer as JSON of this schema: ' + json.dumps(schema)", "json.dumps(schema) + POLICY"
    )
    assert codes(run_check({"ask.py": early}), "AIL105") == [("AIL105", 7)]
