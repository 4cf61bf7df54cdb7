"""AIL101 says "token count unknown" for a volatile value in text it cannot read, and adds the
conversation history an agent loop re-sends after a volatile system prompt."""

from __future__ import annotations

from aiinfralint.config import Config
from aiinfralint.model.base import Span
from aiinfralint.model.project import Project
from aiinfralint.model.prompt import TIME, UNKNOWN, PromptTemplate, Segment
from aiinfralint.rules.base import RuleContext
from aiinfralint.rules.prompt.prefix_cache_buster import PrefixCacheBuster

POLICY = " ".join(f"Rule {i}: answer only from the refund table and cite the row you used." for i in range(1, 80))


def seg(kind: str, text: str, role: str = "system", volatility: str | None = None, **extra: str) -> Segment:
    return Segment(kind=kind, text=text, role=role, span=Span(path="app.py", line=3), volatility=volatility, **extra)


def template(*segments: Segment, **extra: object) -> PromptTemplate:
    return PromptTemplate(
        name="research", source_kind="python", segments=segments, span=Span(path="app.py"), model="gpt-4o", **extra
    )


def check(t: PromptTemplate, options: dict[str, object] | None = None):
    ctx = RuleContext(project=Project([t]), config=Config())
    return list(PrefixCacheBuster(options).check(t, ctx))


def test_volatile_value_in_an_unresolved_template_is_reported_without_a_count():
    slot = seg(
        "slot",
        "lead_prompt.format(date=get_today_str())",
        volatility=TIME,
        volatility_reason="get_today_str",
        unresolved="template `lead_prompt` is imported from `prompts`, which is not among the checked files",
    )
    [f] = check(template(slot, seg("slot", "question", role="user", volatility=UNKNOWN)))
    assert "token count unknown" in f.message and "`prompts`" in f.message
    assert f.impact is not None and f.impact.usd_per_month is None and f.impact.tokens is None
    assert any("token count unknown" in u.reason for u in f.impact.unpriced)


def test_volatile_value_in_resolved_short_text_stays_silent():
    slot = seg("slot", "get_today_str()", volatility=TIME, volatility_reason="get_today_str")
    assert check(template(seg("text", "You are a researcher. Today is "), slot, seg("text", "."))) == []


def test_agent_loop_adds_the_history_that_misses_with_the_prompt():
    slot = seg("slot", "datetime.now()", volatility=TIME, volatility_reason="datetime.now")
    parts = (seg("text", "Now: "), slot, seg("text", POLICY))
    [plain] = check(template(*parts))
    [loop] = check(template(*parts, agent_loop="agent constructor `Agent(instructions=...)`"), {})
    assert "agent loop" in loop.message and "2,000 tokens a step assumed" in loop.message
    assert any("agent-history-tokens" in a for a in loop.impact.assumptions)
    assert loop.impact.usd_per_month > plain.impact.usd_per_month
    [small] = check(template(*parts, agent_loop="messages appended in a loop"), {"agent-history-tokens": 10})
    assert small.impact.usd_per_month < loop.impact.usd_per_month
    assert "10 tokens a step assumed" in small.message


def test_a_clock_in_front_of_a_short_agent_prompt_is_reported_for_the_history_it_busts():
    clock = seg("slot", "datetime.now()", volatility=TIME, volatility_reason="datetime.now")
    parts = (seg("text", "Now: "), clock, seg("text", ". You are a helpful agent."))
    assert check(template(*parts)) == []
    [f] = check(template(*parts, agent_loop="messages appended in a loop"))
    assert "agent loop" in f.message


def test_a_date_does_not_bust_the_history_of_one_conversation():
    date = seg("slot", "date.today()", volatility=TIME, volatility_reason="date.today")
    parts = (seg("text", "Today: "), date, seg("text", ". You are a helpful agent."))
    assert check(template(*parts, agent_loop="messages appended in a loop")) == []
    [plain] = check(template(seg("text", "Today: "), date, seg("text", POLICY)))
    [loop] = check(template(seg("text", "Today: "), date, seg("text", POLICY), agent_loop="agent constructor"))
    assert loop.impact.usd_per_month == plain.impact.usd_per_month and "agent loop" not in loop.message
