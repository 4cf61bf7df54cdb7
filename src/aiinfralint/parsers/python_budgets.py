"""LiteLLM budgets set from Python -> `CodeBudget` (read with `ast`, never executed).

Forms read:

* ``litellm.max_budget = X`` (the SDK's process-wide cap: ``BudgetExceededError`` once spent);
* ``BudgetManager(...).create_budget(total_budget=X, duration=...)`` with ``BudgetManager`` imported
  from litellm;
* a key, team, user, customer or budget created through the LiteLLM proxy's admin API: a
  ``post``/``request`` call whose URL names ``/key/generate``, ``/team/new``, ``/user/new``,
  ``/customer/new``, ``/budget/new`` (or their ``/update``) with a ``json=`` dict holding
  ``max_budget`` (and ``budget_duration``).

Only a literal amount (or a constant or default that resolves to one) is a budget: an amount
set at run time may be zero or unset. A budget of 1e9 or more is LiteLLM's "unlimited" idiom
and is dropped. ``alerted`` is set when the file also warns before the cap: a ``soft_budget``,
LiteLLM ``alerting``/``alert_types``/``budget_alerts``, or a spend callback that alerts (the file
reads ``response_cost``/``completion_cost``/spend and names an alert, Slack, PagerDuty, a
webhook or a notification).
"""

from __future__ import annotations

import ast
import re

from aiinfralint.model.base import Span
from aiinfralint.model.provider import CodeBudget
from aiinfralint.parsers import pyfacts
from aiinfralint.parsers.base import FileInput
from aiinfralint.parsers.pyfacts import Chain, Names, kwarg

_GATE = re.compile(r"max_budget|create_budget")
_ADMIN_PATH = re.compile(
    r"/(key/generate|key/update|team/new|team/update|user/new|user/update|customer/new|budget/new)"
)
_UNLIMITED = 1e9
_ALERT_SETTINGS = ("soft_budget", "budget_alerts", "alert_types", "alerting", "soft_budget_limit")
_SPEND_WORDS = ("response_cost", "completion_cost", "_current_cost", "spend")
_ALERT_WORDS = ("alert", "slack", "pagerduty", "webhook", "notify", "opsgenie")


class _Reader:
    def __init__(self, f: FileInput, tree: ast.Module) -> None:
        self.f = f
        self.names = Names.of(tree)
        self.tree = tree
        self.alerted = _alerts(tree)
        self.found: list[CodeBudget] = []

    def read(self) -> list[CodeBudget]:
        for node, chain in pyfacts.walk(self.tree):
            if isinstance(node, ast.Assign):
                self._assign(node, chain)
            elif isinstance(node, ast.Call):
                self._call(node, chain)
        return self.found

    def _assign(self, node: ast.Assign, chain: Chain) -> None:
        if not any(self.names.qualified(t) == "litellm.max_budget" for t in node.targets):
            return
        self._add(node, chain, "litellm.max_budget", self.names.number(node.value, chain), None)

    def _call(self, call: ast.Call, chain: Chain) -> None:
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr == "create_budget" and self._budget_manager():
            amount = self.names.number(kwarg(call, "total_budget") or _arg(call, 0), chain)
            duration = self.names.text(kwarg(call, "duration"), chain)
            self._add(call, chain, "BudgetManager", amount, duration)
            return
        if not (isinstance(func, ast.Attribute) and func.attr in ("post", "request", "put", "patch")):
            return
        path = next((m.group(0) for a in call.args if (m := _ADMIN_PATH.search(_url_text(a, self.names, chain)))), None)
        body = self.names.value(kwarg(call, "json"), chain)
        if path is None or not isinstance(body, ast.Dict):
            return
        fields = {k.value: v for k, v in zip(body.keys, body.values, strict=True) if isinstance(k, ast.Constant)}
        if "max_budget" not in fields:
            return
        if "soft_budget" in fields:
            return  # the proxy alerts at the soft budget, before the cap
        amount = self.names.number(fields["max_budget"], chain)
        duration = self.names.text(fields.get("budget_duration"), chain)
        self._add(call, chain, f"proxy API {path}", amount, duration, proxy_api=True)

    def _budget_manager(self) -> bool:
        return any(
            v in ("litellm.BudgetManager", "litellm.budget_manager.BudgetManager") for v in self.names.imports.values()
        )

    def _add(
        self,
        node: ast.AST,
        chain: Chain,
        form: str,
        amount: float | None,
        duration: str | None,
        proxy_api: bool = False,
    ) -> None:
        if amount is None or amount <= 0 or amount >= _UNLIMITED:
            return
        line = getattr(node, "lineno", 1)
        self.found.append(
            CodeBudget(
                span=Span(path=self.f.path, line=line, column=getattr(node, "col_offset", 0) + 1, end_line=line),
                function=pyfacts.function_label(chain),
                form=form,
                amount=amount,
                duration=duration,
                alerted=self.alerted,
                proxy_api=proxy_api,
            )
        )


def _arg(call: ast.Call, i: int) -> ast.expr | None:
    return call.args[i] if len(call.args) > i else None


def _url_text(node: ast.expr, names: Names, chain: Chain) -> str:
    """The literal parts of a URL argument (an f-string's constants, a `+` of strings)."""
    found = names.value(node, chain) or node
    return " ".join(n.value for n in ast.walk(found) if isinstance(n, ast.Constant) and isinstance(n.value, str))


def _alerts(tree: ast.Module) -> bool:
    """The file warns before the cap: a soft budget or LiteLLM alerting, or a spend callback that alerts."""
    words: set[str] = set()
    for node in pyfacts.nodes(tree):
        if isinstance(node, ast.keyword) and node.arg:
            words.add(node.arg.lower())
        elif isinstance(node, ast.Attribute):
            words.add(node.attr.lower())
        elif isinstance(node, ast.Name):
            words.add(node.id.lower())
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) < 200:
            words.add(node.value.lower())
    if any(w in words for w in _ALERT_SETTINGS):
        return True
    spend = any(s in w for w in words for s in _SPEND_WORDS)
    return spend and any(a in w for w in words for a in _ALERT_WORDS)


PARSER = pyfacts.fact_parser("python-budgets", _GATE, lambda f, tree: _Reader(f, tree).read())
