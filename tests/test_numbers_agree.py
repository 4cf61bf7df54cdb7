"""The figures of one prompt agree: what `cost` bills for a miss is what a cache finding prices it at.

Hand-computed cases are written out in docs/estimates.md ("Misses before a breakpoint are cache
writes"). claude-sonnet-4-6 (models.yaml): input $3.00, cache read $0.30, 5-minute write $3.75
(1.25 ×), 1-hour write $6.00 (2 ×) per 1M tokens; caching minimum 1,024 tokens.
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from aiinfralint.config import Config, TrafficConfig
from aiinfralint.estimate import inventory
from aiinfralint.pipeline.engine import RunOptions, run

# 17 tokens a rule: 1,700 tokens, above Anthropic's 1,024 minimum for Sonnet 4.6
LONG = "\n".join(f"Rule {i}: answer only from the refund table and cite the row you used." for i in range(1, 101))
MONTH_CALLS = 10_000 * 30


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")


def _config(name: str) -> Config:
    return Config(traffic=TrafficConfig(prompts={name: 10_000}))


def _item(root: Path, files: dict[str, str], name: str) -> inventory.Item:
    _write(root, files)
    cfg = _config(name)
    result = run(RunOptions(paths=["."], config=cfg, cwd=root, select=["AIL000"], use_cache=False, jobs=1))
    (item,) = inventory.build(result.project, cfg).of("prompt")
    return item


def _python(blocks: str) -> str:
    return f'''import anthropic

client = anthropic.Anthropic()
RULES = """{LONG}"""


def ask(q, request_id):
    return client.messages.create(
        model="claude-sonnet-4-6",
        max_tokens=512,
        system=[{blocks}],
        messages=[{{"role": "user", "content": q}}],
    )
'''


def test_uncached_tokens_before_a_one_hour_breakpoint_are_billed_as_one_hour_writes(tmp_path: Path) -> None:
    block = '{"type": "text", "text": f"Request {request_id}.\\n" + RULES, "cache_control": {"type": "ephemeral", "ttl": "1h"}}'
    item = _item(tmp_path, {"bot.py": _python(block)}, "ask()")
    n = item.estimate.tokens
    assert n is not None and n > 1024
    # the request id comes first: nothing is identical between calls, every call writes the whole
    # prefix for an hour at $6.00/1M (it was billed as plain input at $3.00/1M)
    assert item.usd_per_month == D(n) * MONTH_CALLS * D("6.00") / 1_000_000
    assert any(f"{n:,} static tokens missed and written" in a and "(1h)" in a for a in item.estimate.assumptions)


def test_each_part_takes_the_ttl_of_the_breakpoint_after_it(tmp_path: Path) -> None:
    blocks = (
        '{"type": "text", "text": RULES, "cache_control": {"type": "ephemeral", "ttl": "1h"}}, '
        '{"type": "text", "text": f"Request {request_id}.\\n" + RULES, "cache_control": {"type": "ephemeral"}}'
    )
    item = _item(tmp_path, {"bot.py": _python(blocks)}, "ask()")
    assumptions = item.estimate.assumptions
    read = int(next(a for a in assumptions if "read from the prompt cache" in a).split()[0].replace(",", ""))
    written = next(a for a in assumptions if "missed and written" in a)
    assert "(5m)" in written and "(1h)" not in written
    rest = int(written.split()[0].replace(",", ""))
    assert read > 1024 and read + rest == item.estimate.tokens
    # the first block is read at $0.30/1M; the second, after the id, is written for 5 minutes at $3.75/1M
    assert item.usd_per_month == (D(read) * D("0.30") + D(rest) * D("3.75")) * MONTH_CALLS / 1_000_000


def test_a_prefix_below_the_minimum_is_plain_input_even_with_a_breakpoint(tmp_path: Path) -> None:
    block = '{"type": "text", "text": f"Request {request_id}. Answer briefly.", "cache_control": {"type": "ephemeral"}}'
    item = _item(tmp_path, {"bot.py": _python(block)}, "ask()")
    n = item.estimate.tokens
    assert n is not None and n < 1024
    # below the minimum nothing is written: every token is uncached input at $3.00/1M
    assert item.usd_per_month == D(n) * MONTH_CALLS * D("3.00") / 1_000_000


def _prompty(system: str, model: str) -> str:
    return f"---\nname: refunds\nmodel: {model}\n---\nsystem:\n{system}\n\nuser:\n{{{{ question }}}}\n"


def test_the_findings_price_of_a_miss_is_the_inventorys_price_of_an_uncached_token(run_check, tmp_path: Path) -> None:
    for model, write, read in (("claude-sonnet-4-6", D("3.75"), D("0.30")), ("gpt-4o", D("2.50"), D("1.25"))):
        marked = f"Request {{{{ request_id }}}}.\n{LONG}\n" + ("{# cache_control #}" if "claude" in model else "")
        text = _prompty(marked, model)
        result = run_check({f"{model}/prompts/r.prompty": text}, _config("refunds"))
        [f] = [f for f in result.findings if f.code == "AIL101" and f.span.path.startswith(model)]
        item = _item(tmp_path / "inv" / model, {"prompts/r.prompty": text}, "refunds")
        lost = int(f.message.split(" ahead of ")[1].split(" of its ")[0].replace(",", ""))
        assert f.impact.usd_per_month is not None and item.usd_per_month is not None and item.estimate.tokens
        # a finding prices each missed token at (miss − read); add the read back for the miss price
        finding_miss = f.impact.usd_per_month * 1_000_000 / (D(lost) * MONTH_CALLS) + read
        # nothing before the id is identical between calls: the inventory bills every token as a miss
        inventory_miss = item.usd_per_month * 1_000_000 / (D(item.estimate.tokens) * MONTH_CALLS)
        assert finding_miss == inventory_miss == write, model
