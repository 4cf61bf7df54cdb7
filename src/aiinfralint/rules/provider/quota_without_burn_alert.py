from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from aiinfralint.model.finding import Finding, Impact, Severity
from aiinfralint.model.provider import CodeBudget, LiteLLMConfig, QuotaContract, duration_seconds, no_cap_reason
from aiinfralint.rules.base import Example, Rule, RuleContext, Unpriced

# LiteLLM alert types that warn before a budget is spent
LITELLM_BUDGET_ALERTS = frozenset({"budget_alerts", "spend_reports", "projected_limit_exceeded"})
BURN_MULTIPLE = 2.0

_BAD = """\
apiVersion: aiinfralint/v1
kind: QuotaContract
metadata:
  name: anthropic-support-bot
spec:
  provider: anthropic
  models: [claude-sonnet-4-5-20250929]
  budget:
    amount: 25000
    unit: usd
    period: monthly
    reset: {at: "00:00", timeZone: UTC, dayOfMonth: 1}
  onExhaustion: {action: fail}
"""

_GOOD = """\
apiVersion: aiinfralint/v1
kind: QuotaContract
metadata:
  name: anthropic-support-bot
spec:
  provider: anthropic
  models: [claude-sonnet-4-5-20250929]
  budget:
    amount: 25000
    unit: usd
    period: monthly
    reset: {at: "00:00", timeZone: UTC, dayOfMonth: 1}
  alerts:
    - {type: burn-rate, threshold: 2, window: 6h, channels: ["pagerduty:ai-platform"]}
    - {type: budget-used, threshold: 0.8, channels: ["slack:#llm-ops"]}
  throttle: {startAt: 0.9}
  onExhaustion: {action: fallback, fallbackModel: claude-haiku-4-5-20251001}
"""

_BAD_LITELLM = """\
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o-2024-08-06
      api_key: os.environ/OPENAI_API_KEY
litellm_settings:
  max_budget: 5000          # USD
  budget_duration: 30d
general_settings:
  master_key: os.environ/LITELLM_MASTER_KEY
  database_url: os.environ/DATABASE_URL
"""


def _period_text(days: float) -> str:
    if days >= 28:
        return "month"
    if days >= 7 and days % 7 == 0:
        return f"{days / 7:.0f}-week period"
    if days >= 1:
        return f"{days:.0f}-day period"
    return f"{days * 24:.0f}-hour period"


def _burn_assumptions(amount: float, unit: str, days: float) -> list[str]:
    money = f"${amount:,.0f}" if unit == "usd" else f"{amount:,.0f} {unit}"
    per_day = amount / days if days else amount
    per_day_txt = f"${per_day:,.0f}" if unit == "usd" else f"{per_day:,.0f} {unit}"
    out = [
        f"cap {money} per {_period_text(days)}: a sustainable burn of {per_day_txt}/day",
        f"at {BURN_MULTIPLE:g}× that rate (a retry storm, a new caller, a prompt that grew) the cap is spent after "
        f"{days / BURN_MULTIPLE:.1f} of {days:.0f} days, and the first signal is the provider's 429",
    ]
    return out


def _litellm_caps(cfg: LiteLLMConfig) -> tuple[list[tuple[str, float, float, str]], list[str]]:
    """((what, amount, days, field) of every LiteLLM cap, why the "unlimited" ones are no cap)."""
    caps: list[tuple[str, float, float, str]] = []
    uncapped: list[str] = []
    if cfg.max_budget is not None and cfg.max_budget > 0:
        why = no_cap_reason(cfg.max_budget, "litellm_settings.max_budget")
        if why is not None:
            uncapped.append(why)
        else:
            secs = duration_seconds(cfg.budget_duration) if cfg.budget_duration else None
            caps.append(("litellm_settings.max_budget", cfg.max_budget, (secs or 30 * 86400) / 86400, "max_budget"))
    for prov, (limit, period) in sorted(cfg.provider_budgets.items()):
        if limit is None or limit <= 0:
            continue
        why = no_cap_reason(limit, f"provider_budget_config.{prov}.budget_limit")
        if why is not None:
            uncapped.append(why)
            continue
        secs = duration_seconds(period) if period else None
        caps.append((f"provider budget for {prov}", limit, (secs or 86400) / 86400, "provider_budget_config"))
    return caps, uncapped


class QuotaWithoutBurnAlert(Rule):
    """A budget or spend cap has no burn-rate alert or throttle, so the first signal is the cap.

    ## What it does
    Reports a `QuotaContract` whose budget has no alert that fires before the cap (a
    `burn-rate` or `forecast` alert, or a `budget-used` alert below 100%, with at least one
    channel) and no client-side `throttle`. For a LiteLLM proxy config it reports
    `litellm_settings.max_budget` or `router_settings.provider_budget_config` when
    `general_settings.alerting` names no channel, or when `alert_types` leaves out
    `budget_alerts`.

    LiteLLM budgets set from Python are judged the same way: `litellm.max_budget = X`,
    `BudgetManager.create_budget(total_budget=X, duration=...)` (imported from litellm) and
    keys, teams, users or budgets created through the proxy's admin API (`/key/generate`,
    `/team/new`, ... with `max_budget` in the JSON body). The SDK itself has no alerting, so
    the code-side equivalents of a budget alert make such a budget silent: a `soft_budget` in
    the same request (the proxy alerts when it is crossed), LiteLLM `alerting`/`alert_types`
    named in the file, a spend callback in the file that alerts (it reads `response_cost`,
    `completion_cost` or spend and names an alert, Slack, PagerDuty, a webhook or a
    notification), or, anywhere in the project, a LiteLLM config whose `general_settings.alerting`
    names a channel with budget alerts, or a `QuotaContract` with an alert before its cap. A
    budget created through the proxy's API is enforced, and alerted on, by a proxy whose config
    holds the alerting: it is reported only when that config is in the project and does not
    alert; with no LiteLLM config in view it is left alone. Amounts set at run time are not
    read (they may be zero or unset).

    A budget of 1e9 or more, or infinite, is the "unlimited" idiom (LiteLLM's
    `max_budget: 1000000000.0`), not a cap: it is not reported, and a finding on another
    cap of the same file says which budget was read as unlimited.

    ## Why is this bad?
    A monthly cap protects the bill but not the service. Without an alert on the rate of
    spend, a change that doubles consumption is discovered when the cap is reached: provider
    spend limits return 429 (`insufficient_quota`, `enforced_spend_limit_reached`) until the
    reset, and LiteLLM rejects every request of the key, team or provider. For a monthly
    cap that can mean days without the feature.

    ## How the estimate is computed
    The cap divided by the period length gives the sustainable daily burn; at twice that
    rate the cap is spent after half the period. The numbers are stated in the impact's
    assumptions (no dollar figure: the money is capped, the outage is the cost).

    ## How to fix
    Add a burn-rate alert (spend over the last hours against the rate that lasts the period,
    e.g. 2× over 6 h) and a budget-used alert at 50-80% with a channel someone reads, and
    throttle low-priority callers before the cap. In LiteLLM set
    `general_settings.alerting: ["slack"]` and keep `budget_alerts` in `alert_types`.

    ## References
    - LiteLLM alerting and budget alerts: https://docs.litellm.ai/docs/proxy/alerting
    - LiteLLM budgets: https://docs.litellm.ai/docs/proxy/users
    - OpenAI spend limits: https://developers.openai.com/api/docs/guides/spend-limits
    - Google SRE workbook, alerting on burn rate: https://sre.google/workbook/alerting-on-slos/
    """

    code: ClassVar[str] = "AIL302"
    slug: ClassVar[str] = "quota-without-burn-alert"
    severity: ClassVar[Severity] = Severity.WARNING
    targets = (QuotaContract, LiteLLMConfig, CodeBudget)
    inputs: ClassVar[str] = (
        "QuotaContract budgets and alerts; LiteLLM max_budget, provider budgets and alerting; LiteLLM budgets set "
        "from Python (litellm.max_budget, BudgetManager, proxy key/team budgets)"
    )
    summary: ClassVar[str] = "A budget or spend cap has no burn-rate alert or throttle"
    examples = (
        Example("quotas/anthropic.yaml", _BAD, expect=("AIL302",), title="monthly cap, nothing before it"),
        Example("litellm/config.yaml", _BAD_LITELLM, expect=("AIL302",), title="LiteLLM max_budget with no alerting"),
        Example("quotas/anthropic.yaml", _GOOD, title="burn-rate and budget-used alerts, throttle, fallback"),
    )
    unpriced: ClassVar[tuple[Unpriced, ...]] = (
        Unpriced(
            "usd",
            "no $ figure: this failure costs refused or slow requests (429s, exhausted quota, latency), not extra spend",
        ),
        Unpriced("kgco2e", "no kgCO2e figure: the failure changes when requests fail, not the energy they use"),
    )

    def check(self, obj: Any, ctx: RuleContext) -> Iterator[Finding]:
        if isinstance(obj, QuotaContract):
            yield from self._contract(obj)
        elif isinstance(obj, LiteLLMConfig):
            yield from self._litellm(obj)
        elif isinstance(obj, CodeBudget):
            yield from self._code(obj, ctx)

    def _contract(self, c: QuotaContract) -> Iterator[Finding]:
        spec = c.spec
        if spec.budget.amount <= 0 or no_cap_reason(spec.budget.amount, "budget.amount") is not None:
            return  # no cap: nothing to run into
        early = [
            a
            for a in spec.alerts
            if a.channels and (a.type in ("burn-rate", "forecast") or (a.type == "budget-used" and a.threshold < 1))
        ]
        if early or spec.throttle is not None:
            return
        silent = [a for a in spec.alerts if not a.channels]
        why = "no alert before the cap and no throttle"
        if silent:
            why = "alerts with no channel and no throttle"
        amount = float(spec.budget.amount)
        days = spec.budget.period_days
        unit = spec.budget.unit
        money = f"${amount:,.0f}" if unit == "usd" else f"{amount:,.0f} {unit}"
        yield self.finding(
            c,
            f"{c.display_name} caps {spec.provider} at {money} per {spec.budget.period.removesuffix('ly').replace('dai', 'day')} "
            f"with {why}; on exhaustion it will `{spec.on_exhaustion.action}`.",
            remediation=(
                "Add a burn-rate alert (e.g. `{type: burn-rate, threshold: 2, window: 6h}`) and a budget-used alert "
                "below 100% with a channel someone reads, and set `throttle.startAt` so low-priority traffic slows "
                "down before the cap."
            ),
            impact=Impact(assumptions=tuple(_burn_assumptions(amount, unit, days))),
            span=c.span_of("budget.amount", "budget"),
            key="budget",
        )

    def _litellm(self, cfg: LiteLLMConfig) -> Iterator[Finding]:
        caps, uncapped = _litellm_caps(cfg)
        if not caps:
            return
        channels = [a for a in cfg.alerting if a and not a.startswith("os.environ/")]
        budget_alerts = cfg.alert_types is None or bool(LITELLM_BUDGET_ALERTS & set(cfg.alert_types))
        if channels and budget_alerts:
            return
        if not channels:
            why = "general_settings.alerting names no channel"
        else:
            why = f"general_settings.alert_types ({', '.join(cfg.alert_types or ())}) leaves out budget_alerts"
        for what, amount, days, field in caps:
            duration = cfg.budget_duration if field == "max_budget" else None
            assumptions = [*_burn_assumptions(amount, "usd", days), *uncapped]
            if field == "max_budget" and not cfg.budget_duration:
                assumptions.insert(0, "no budget_duration: the budget never resets; read here as a 30-day cap")
            if not cfg.has_database:
                assumptions.append(
                    "no general_settings.database_url in this file: LiteLLM budgets need a Postgres "
                    "database (DATABASE_URL may be set in the environment)"
                )
            yield self.finding(
                cfg,
                f"LiteLLM {what} ${amount:,.0f}"
                + (f" per {duration}" if duration else "")
                + f" has no budget alert ({why}), so callers learn about it from rejected requests.",
                remediation=(
                    'Set `general_settings.alerting: ["slack"]` (or email/webhook) with `SLACK_WEBHOOK_URL`, keep '
                    "`budget_alerts` in `alert_types`, and give teams and keys their own budgets so one caller cannot "
                    "spend everyone's."
                ),
                impact=Impact(assumptions=tuple(assumptions)),
                span=cfg.span_of(field),
                key=what,
            )

    def _code(self, b: CodeBudget, ctx: RuleContext) -> Iterator[Finding]:
        if b.alerted:
            return
        configs = list(ctx.project.of_type(LiteLLMConfig))
        if any(_litellm_alerts(c) for c in configs) or any(
            _contract_alerts(c) for c in ctx.project.of_type(QuotaContract)
        ):
            return
        if b.proxy_api and not configs:
            return  # the proxy's config, and its alerting, is not in view
        secs = duration_seconds(b.duration) if b.duration else None
        days = (secs or _period_seconds(b.duration) or 30 * 86400) / 86400
        assumptions = _burn_assumptions(b.amount, "usd", days)
        if not b.duration:
            assumptions.insert(0, "no duration: the budget never resets; read here as a 30-day cap")
        yield self.finding(
            b,
            f"{b.display_name} caps spend at {_usd(b.amount)}"
            + (f" per {b.duration}" if b.duration else "")
            + " with no alert before the cap, so callers learn about it from rejected requests.",
            remediation=(
                "Warn before the cap: give the key or team a `soft_budget` (or run the LiteLLM proxy with "
                '`general_settings.alerting: ["slack"]` and `budget_alerts`), or register a spend callback that '
                "alerts when the burn rate would spend the budget before its reset."
            ),
            impact=Impact(assumptions=tuple(assumptions)),
            key="budget",
        )


_PERIODS = {"daily": 86400, "weekly": 7 * 86400, "monthly": 30 * 86400, "yearly": 365 * 86400}


def _usd(amount: float) -> str:
    return f"${amount:,.0f}" if amount >= 10 else f"${amount:.3g}"


def _period_seconds(duration: str | None) -> float | None:
    return _PERIODS.get((duration or "").lower())


def _litellm_alerts(cfg: LiteLLMConfig) -> bool:
    channels = [a for a in cfg.alerting if a and not a.startswith("os.environ/")]
    return bool(channels) and (cfg.alert_types is None or bool(LITELLM_BUDGET_ALERTS & set(cfg.alert_types)))


def _contract_alerts(c: QuotaContract) -> bool:
    return c.spec.throttle is not None or any(
        a.channels and (a.type in ("burn-rate", "forecast") or (a.type == "budget-used" and a.threshold < 1))
        for a in c.spec.alerts
    )
