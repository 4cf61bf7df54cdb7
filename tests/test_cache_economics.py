"""Hand-computed prompt-cache stakes (docs/estimates.md, "Prompt cache economics")."""

from __future__ import annotations

from decimal import Decimal as D

from aiinfralint.config import Config, TrafficConfig

# 17 tokens a rule: 1,700 tokens, above OpenAI's 1,024 and below Gemini 2.5 Pro's 2,048 and Haiku 4.5's 4,096
LONG = "\n".join(f"Rule {i}: answer only from the refund table and cite the row you used." for i in range(1, 101))
SHORT = "Answer only from the refund table."


def prompty(system: str, model: str = "gpt-4o") -> str:
    return f"---\nname: refunds\nmodel: {model}\n---\nsystem:\n{system}\n\nuser:\n{{{{ question }}}}\n"


def finding(run_check, text: str, calls: int = 10_000):
    cfg = Config(traffic=TrafficConfig(prompts={"refunds": calls}))
    result = run_check({"prompts/r.prompty": text}, cfg)
    [f] = [f for f in result.findings if f.code == "AIL101"]
    return f


def lost_tokens(f) -> int:
    return int(f.message.split(" ahead of ")[1].split(" of its ")[0].replace(",", ""))


def test_request_id_vs_date_vs_arm_on_the_same_prompt(run_check):
    rid = finding(run_check, prompty(f"Request {{{{ request_id }}}}.\n{LONG}"))
    day = finding(run_check, prompty(f"Today is {{{{ today }}}}.\n{LONG}"))
    arm = finding(run_check, prompty(f"Variant {{{{ variant }}}}.\n{LONG}"))
    n = lost_tokens(rid)
    assert n == lost_tokens(day) == lost_tokens(arm) and n > 1024
    # gpt-4o: $2.50 input − $1.25 cached = $1.25/1M per missed token
    assert rid.impact.usd_per_month == D(n) * 10_000 * 30 * D("1.25") / 1_000_000  # every call misses
    assert day.impact.usd_per_month == D(n) * 1 * 30 * D("1.25") / 1_000_000  # one new date a day
    # 2 arms; OpenAI clears a warm entry within 1 h: (2 − 1) × 24 rewrites a day
    assert arm.impact.usd_per_month == D(n) * 24 * 30 * D("1.25") / 1_000_000
    assert "(per request)" in rid.message and "(per day)" in day.message and "(per experiment arm)" in arm.message


def test_below_gemini_and_anthropic_minimums_nothing_to_lose(run_check):
    gem = finding(run_check, prompty(f"Request {{{{ request_id }}}}.\n{LONG}", "gemini-2.5-pro"))
    assert gem.impact.usd_per_month is None
    assert any("minimum of 2,048" in u.reason for u in gem.impact.unpriced)
    marked = f"Request {{{{ request_id }}}}.\n{LONG}\n{{# cache_control #}}"
    haiku = finding(run_check, prompty(marked, "claude-haiku-4-5"))
    assert haiku.impact.usd_per_month is None
    assert any("minimum of 4,096" in u.reason for u in haiku.impact.unpriced)


def test_anthropic_with_a_breakpoint_pays_write_minus_read(run_check):
    marked = f"Request {{{{ request_id }}}}.\n{LONG}\n{{# cache_control #}}"
    f = finding(run_check, prompty(marked, "claude-sonnet-4-6"))
    n = lost_tokens(f)
    # each miss writes the entry (5 m: $3.75/1M) instead of reading it ($0.30/1M)
    assert f.impact.usd_per_month == D(n) * 10_000 * 30 * (D("3.75") - D("0.30")) / 1_000_000


def test_short_openai_prompt_has_no_stake(run_check):
    text = prompty(f"Request {{{{ request_id }}}}.\n{SHORT} " + "Cite the row. " * 30)
    f = finding(run_check, text)
    assert f.impact.usd_per_month is None
    assert any("minimum of 1,024" in u.reason for u in f.impact.unpriced)


def test_anthropic_without_breakpoints_is_not_priced_as_cached(run_check):
    f = finding(run_check, prompty(f"Request {{{{ request_id }}}}.\n{LONG}", "claude-sonnet-4-6"))
    assert f.impact.usd_per_month is None
    assert any("only at explicit cache_control" in u.reason for u in f.impact.unpriced)


def test_claude_template_defaults_to_an_anthropic_model():
    from aiinfralint.analysis.prompt import choose_model
    from aiinfralint.estimate import Estimator
    from aiinfralint.model.base import Span
    from aiinfralint.model.prompt import PromptTemplate

    t = PromptTemplate(
        name="prompts/claude_support.j2", source_kind="jinja", span=Span(path="prompts/claude_support.j2")
    )
    choice = choose_model(t, Config(), Estimator())
    assert choice.model == "claude-sonnet-4-6" and "anthropic" in choice.basis


def test_one_prompt_same_tokens_through_check_and_cost(run_check, tmp_path):
    from pathlib import Path

    from aiinfralint.estimate import inventory
    from aiinfralint.pipeline.engine import RunOptions, run

    text = prompty(f"Request {{{{ request_id }}}}.\n{LONG}")
    cfg = Config(traffic=TrafficConfig(prompts={"refunds": 10_000}))
    f = finding(run_check, text)
    root = Path(tmp_path) / "inv"
    p = root / "prompts" / "r.prompty"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    result = run(RunOptions(paths=["."], config=cfg, cwd=root, select=["AIL000"], use_cache=False, jobs=1))
    (item,) = inventory.build(result.project, cfg).of("prompt")
    assert item.estimate.tokens == f.impact.tokens
    # the spend: the 2 tokens before the id are below the 1,024 minimum on their own, so the whole
    # prefix is uncached input at $2.50/1M
    lost, calls = lost_tokens(f), 10_000 * 30
    assert item.usd_per_month == D(item.estimate.tokens) * D("2.50") * calls / 1_000_000
    # the stake: the tokens after the id, at $2.50 − $1.25
    assert f.impact.usd_per_month == D(lost) * (D("2.50") - D("1.25")) * calls / 1_000_000
    spend_note = f"the prompt's whole prefix spend is ${item.usd_per_month:,.2f}/month"
    assert any(spend_note in a for a in f.impact.assumptions)


def test_a_clock_formatted_as_a_date_changes_per_day():
    from aiinfralint.analysis.prompt import PER_DAY, PER_REQUEST, change_rate
    from aiinfralint.model.base import Span
    from aiinfralint.model.prompt import TIME, Segment

    def seg(expr: str, reason: str) -> Segment:
        return Segment(kind="slot", text=expr, span=Span(path="p.py"), volatility=TIME, volatility_reason=reason)

    assert change_rate(seg("datetime.now().strftime('%Y-%m-%d')", "datetime.now")).case == PER_DAY
    assert change_rate(seg("datetime.now().strftime('%Y-%m-%d %H:%M')", "datetime.now")).case == PER_REQUEST
    assert change_rate(seg("datetime.now().isoformat()", "datetime.now")).case == PER_REQUEST
    assert change_rate(seg("today", "today")).case == PER_DAY
