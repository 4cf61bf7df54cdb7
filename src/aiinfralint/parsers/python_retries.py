"""Retries around hosted LLM calls written in Python -> `CodeRetry` (read with `ast`, never executed).

Forms read:

* tenacity ``@retry(...)`` (also a module-level ``x = retry(...)`` used as ``@x``) and
  ``Retrying(...)``: ``retry=retry_if_exception_type(RateLimitError)``, or no ``retry=`` at all
  (every exception is retried) on a function that calls an LLM API; ``stop_after_attempt`` /
  ``stop_after_delay``; ``wait_fixed``, ``wait_exponential``, ``wait_random_exponential``,
  ``wait_exponential_jitter``, ``wait_random`` and their sums;
* ``backoff.on_exception(backoff.expo | backoff.constant, RateLimitError, max_tries=, max_time=)``;
* ``for``/``while`` loops whose ``try`` catches an SDK ``RateLimitError`` (or tests for 429) and sleeps;
* a retry class of the same module (smolagents' ``Retrying``): a method loops over a callable argument,
  catches broad errors, sleeps and retries when the handler (or a predicate function of this module passed
  to the constructor) tests 429 / rate-limit words; reported where it is constructed, when the instance is
  called with an LLM API function first (``retryer(client.chat.completions.create, ...)``), with attempts
  and waits read from the constructor arguments or ``__init__`` defaults. A class imported from another
  module is not read: each file is parsed (and cached) on its own;
* LiteLLM ``completion(..., num_retries=n)`` and ``Router(..., num_retries=n)`` with their
  ``retry_policy``;
* the OpenAI and Anthropic SDKs' own retries: ``OpenAI(max_retries=n)`` (also ``AsyncOpenAI``,
  ``AzureOpenAI``, ``Anthropic``, ``AsyncAnthropic``) and ``client.with_options(max_retries=n)``.
  Only an explicit ``n`` above the SDK default of 2 is read: the default is not a choice the
  project made. Waits follow the SDKs' ``_calculate_retry_timeout`` (``_constants.py`` of
  openai-python and anthropic-sdk-python): 0.5 s doubling, capped at 8 s, minus up to 25 % jitter;
  ``_should_retry`` retries every 429 unless the response carries ``x-should-retry: false``.

A file whose client is pointed at another server (``base_url=``/``api_base=`` that is not the
provider's API, or read from settings) is left alone: a self-hosted server has no quota.
A file that mentions a quota-exhaustion code anywhere (``insufficient_quota``, a spend limit,
"quota", "billing") is taken to tell an exhausted quota apart from a rate limit: silent rather
than wrong. LiteLLM retries inside the library, so there only ``retry_policy`` counts.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass

from aiinfralint.model.base import Span
from aiinfralint.model.provider import QUOTA_CODES, CodeRetry
from aiinfralint.parsers import pyfacts
from aiinfralint.parsers.base import FileInput
from aiinfralint.parsers.pyfacts import Chain, Names, body_nodes, kwarg

_GATE = re.compile(r"RateLimitError|ResourceExhausted|tenacity|backoff|\b429\b|num_retries|max_retries")
# packages whose rate-limit exception is a hosted LLM API's 429
_SDK_ROOTS = frozenset({"openai", "anthropic", "litellm", "groq", "mistralai", "cohere", "google", "voyageai"})
_RATE_LIMIT_CLASSES = frozenset({"RateLimitError", "ResourceExhausted", "TooManyRequests"})
_BROAD = frozenset({"Exception", "BaseException", "APIError", "APIStatusError", "OpenAIError", "AnthropicError"})
_LLM_CALLS = (
    ".completions.create",
    ".ChatCompletion.create",
    ".Completion.create",
    ".messages.create",
    ".responses.create",
    "litellm.completion",
    "litellm.acompletion",
    ".generate_content",
)
_QUOTA_WORDS = (*QUOTA_CODES, "quota", "spend_limit", "spend limit", "billing")
_RATE_WORDS = ("429", "rate limit", "rate_limit", "ratelimit", "too many requests", "resource_exhausted")
_LITELLM = frozenset({"litellm.completion", "litellm.acompletion", "litellm.Router", "litellm.router.Router"})
_HOSTED_URL = re.compile(r"api\.openai\.com|api\.anthropic\.com|openai\.azure\.com|api\.groq\.com|api\.mistral\.ai")
_FOREVER = 10**6  # tenacity's and backoff's default: no stop
_SDK_CLIENTS = frozenset(
    {
        "openai.OpenAI",
        "openai.AsyncOpenAI",
        "openai.AzureOpenAI",
        "openai.AsyncAzureOpenAI",
        "anthropic.Anthropic",
        "anthropic.AsyncAnthropic",
    }
)
# openai-python / anthropic-sdk-python `_constants.py`
SDK_DEFAULT_MAX_RETRIES = 2
SDK_INITIAL_RETRY_DELAY = 0.5
SDK_MAX_RETRY_DELAY = 8.0


class _Reader:
    def __init__(self, f: FileInput, tree: ast.Module) -> None:
        self.f = f
        self.tree = tree
        self.names = Names.of(tree)
        self.quota = pyfacts.mentions(pyfacts.nodes(tree), _QUOTA_WORDS)
        # a client pointed at another server (vLLM, Ollama, a proxy) has no provider quota to exhaust
        self.other_server = any(
            isinstance(n, ast.keyword) and n.arg in ("base_url", "api_base") and not self._hosted(n.value, chain)
            for n, chain in pyfacts.walk(tree)
        )
        self.found: list[CodeRetry] = []
        self.decorators: set[int] = set()

    def _hosted(self, url: ast.expr, chain: Chain) -> bool:
        """A literal provider URL, or `None` (a parameter defaulting to None: the SDK's own endpoint)."""
        found = self.names.value(url, chain)
        if isinstance(found, ast.Constant) and found.value is None:
            return True
        return _HOSTED_URL.search(self.names.text(url, chain) or "") is not None

    def span(self, node: ast.AST) -> Span:
        line = getattr(node, "lineno", 1)
        column = getattr(node, "col_offset", 0) + (0 if id(node) in self.decorators else 1)  # the `@` is col - 1
        return Span(path=self.f.path, line=line, column=max(column, 1), end_line=line)

    def read(self) -> list[CodeRetry]:
        classes = _retry_classes(self.tree)
        for node, chain in pyfacts.walk(self.tree):
            if classes and isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in classes:
                self._retry_class(classes[node.func.id], node, chain)
            if isinstance(node, pyfacts.FUNCS):
                self._decorated(node, chain)
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
                self._loop(node, chain)
            elif isinstance(node, ast.Call) and id(node) not in self.decorators:
                self._call(node, chain)
        return self.found

    # --- tenacity and backoff decorators --------------------------------------------------

    def _decorated(self, fn: pyfacts.Function, chain: Chain) -> None:
        label = pyfacts.function_label((*chain, fn))
        for dec in fn.decorator_list:
            call = dec if isinstance(dec, ast.Call) else None
            if isinstance(dec, ast.Name) and isinstance(self.names.constants.get(dec.id), ast.Call):
                call = self.names.constants[dec.id]  # type: ignore[assignment]
            if call is None:
                continue
            self.decorators.add(id(call))
            self.decorators.add(id(dec))
            name = self.names.qualified(call.func)
            if name == "tenacity.retry":
                self._tenacity(call, dec, label, (*chain, fn), fn.body)
            elif name == "backoff.on_exception":
                self._backoff(call, dec, label, (*chain, fn))

    def _call(self, call: ast.Call, chain: Chain) -> None:
        name = self.names.qualified(call.func)
        if name in ("tenacity.Retrying", "tenacity.AsyncRetrying"):
            self._tenacity(call, call, pyfacts.function_label(chain), chain, None)
        elif name in _LITELLM:
            self._litellm(call, chain, name)
        elif name in _SDK_CLIENTS or (
            isinstance(call.func, ast.Attribute) and call.func.attr == "with_options" and self._imports_sdk()
        ):
            self._sdk(call, chain, name if name in _SDK_CLIENTS else "with_options")

    def _tenacity(self, call: ast.Call, at: ast.AST, label: str, chain: Chain, body: list[ast.stmt] | None) -> None:
        cond = self.names.resolve(kwarg(call, "retry"), chain)
        if cond is None:
            if body is None or not self._calls_llm(body):
                return
            retries_on = "every exception (RateLimitError included)"
        else:
            found = self._tenacity_condition(cond)
            if found is None:
                return
            retries_on = found
        attempts, cap = self._tenacity_stop(kwarg(call, "stop"), chain)
        total, how = self._tenacity_wait(kwarg(call, "wait"), attempts, chain)
        if total is not None and cap is not None:
            total = min(total, cap)
        self._add(at, label, "tenacity", retries_on, attempts, total, how)

    def _tenacity_condition(self, cond: ast.AST) -> str | None:
        for node in ast.walk(cond):
            if not isinstance(node, ast.Call):
                continue
            if self.names.qualified(node.func) == "tenacity.retry_if_exception_type":
                target = node.args[0] if node.args else kwarg(node, "exception_types")
                found = self._rate_limit(self.names.resolve(target))
                if found is not None:
                    return found
        return None

    def _tenacity_stop(self, stop: ast.AST | None, chain: Chain) -> tuple[int | None, float | None]:
        if stop is None:
            return _FOREVER, None
        attempts: int | None = None
        cap: float | None = None
        for node in ast.walk(stop):
            if isinstance(node, ast.Call) and node.args:
                name = self.names.qualified(node.func) or ""
                n = self.names.number(node.args[0], chain)
                if name.endswith("stop_after_attempt") and n is not None:
                    attempts = int(n) if attempts is None else min(attempts, int(n))
                elif name.endswith("stop_after_delay") and n is not None:
                    cap = n if cap is None else min(cap, n)
        return attempts, cap

    def _tenacity_wait(self, wait: ast.AST | None, attempts: int | None, chain: Chain) -> tuple[float | None, str]:
        if wait is None:
            return 0.0, "no wait between attempts"
        if isinstance(wait, ast.BinOp) and isinstance(wait.op, ast.Add):
            a, ha = self._tenacity_wait(wait.left, attempts, chain)
            b, hb = self._tenacity_wait(wait.right, attempts, chain)
            return (a + b if a is not None and b is not None else None), f"{ha} + {hb}"
        if not isinstance(wait, ast.Call) or attempts is None or attempts >= _FOREVER:
            return None, "wait not read"
        name = (self.names.qualified(wait.func) or "").rsplit(".", 1)[-1]
        retries = attempts - 1

        def num(key: str, pos: int, default: float) -> float:
            node = kwarg(wait, key) or (wait.args[pos] if len(wait.args) > pos else None)
            got = self.names.number(node, chain) if node is not None else None
            return default if got is None else got

        if name == "wait_fixed":
            s = num("wait", 0, 0)
            return s * retries, f"{s:g} s between attempts"
        if name in ("wait_exponential", "wait_random_exponential", "wait_exponential_jitter"):
            first = num("initial", 0, 1) if name == "wait_exponential_jitter" else num("multiplier", 0, 1)
            top = num("max", 99, float("inf"))
            low = num("min", 99, 0)
            total = exponential_total(first, num("exp_base", 99, 2), low, top, retries)
            shown = "random " if name == "wait_random_exponential" else ""
            return total, f"{shown}exponential from {first:g} s" + (
                f" capped at {top:g} s" if top != float("inf") else ""
            )
        if name == "wait_random":
            top = num("max", 1, 1)
            return top * retries, f"random up to {top:g} s"
        return None, "wait not read"

    def _backoff(self, call: ast.Call, at: ast.AST, label: str, chain: Chain) -> None:
        if len(call.args) < 2:
            return
        retries_on = self._rate_limit(self.names.resolve(call.args[1], chain))
        if retries_on is None:
            return
        tries = self.names.number(kwarg(call, "max_tries"), chain)
        cap = self.names.number(kwarg(call, "max_time"), chain)
        attempts = int(tries) if tries is not None else (_FOREVER if cap is None else None)
        gen = (self.names.qualified(call.args[0]) or "").rsplit(".", 1)[-1]
        total: float | None = None
        how = "wait not read"
        if attempts is not None and attempts < _FOREVER:
            if gen == "expo":
                factor = self.names.number(kwarg(call, "factor"), chain) or 1.0
                top = self.names.number(kwarg(call, "max_value"), chain) or float("inf")
                total, how = exponential_total(factor, 2, 0, top, attempts - 1), f"exponential from {factor:g} s"
            elif gen == "constant":
                every = self.names.number(kwarg(call, "interval"), chain) or 1.0
                total, how = every * (attempts - 1), f"{every:g} s between attempts"
        if cap is not None:
            total = cap if total is None else min(total, cap)
            how = f"{how}, at most {cap:g} s in all"
        self._add(at, label, "backoff", retries_on, attempts, total, how)

    # --- hand-written loops ---------------------------------------------------------------

    def _loop(self, loop: ast.For | ast.AsyncFor | ast.While, chain: Chain) -> None:
        own = list(body_nodes(loop.body, stop=(ast.For, ast.AsyncFor, ast.While)))
        for node in own:
            if not isinstance(node, ast.Try):
                continue
            for handler in node.handlers:
                retries_on = self._handler_catches(handler, chain)
                if retries_on is None or _gives_up(handler):
                    continue
                if retries_on == "HTTP 429" and not self._calls_llm(node.body):
                    continue  # a 429 of some other API (web search, arXiv): no LLM quota behind it
                sleep = _sleep_in(handler.body, self.names) or _sleep_in(loop.body, self.names)
                if sleep is None:
                    continue
                attempts = self._loop_attempts(loop, handler, chain)
                total, how = self._loop_wait(sleep, loop, handler, attempts, chain)
                self._add(handler, pyfacts.function_label(chain), "loop", retries_on, attempts, total, how)
                return

    def _handler_catches(self, handler: ast.ExceptHandler, chain: Chain) -> str | None:
        found = self._rate_limit(self.names.resolve(handler.type, chain))
        if found is not None:
            return found
        names = [n for n in _exception_names(handler.type)] if handler.type is not None else ["Exception"]
        if not any(n.rsplit(".", 1)[-1] in _BROAD for n in names):
            return None
        tests = [n.test for n in body_nodes(handler.body) if isinstance(n, ast.If)]
        if any(pyfacts.mentions(ast.walk(t), _RATE_WORDS) or _is_429(t) for t in tests):
            return "HTTP 429"
        return None

    def _loop_attempts(self, loop: ast.AST, handler: ast.ExceptHandler, chain: Chain) -> int | None:
        if isinstance(loop, (ast.For, ast.AsyncFor)):
            it = loop.iter
            if isinstance(it, ast.Call) and pyfacts.dotted(it.func) == "range" and it.args:
                nums = [self.names.number(a, chain) for a in it.args[:2]]
                if all(n is not None for n in nums):
                    return int(nums[-1] - (nums[0] if len(nums) == 2 else 0))  # type: ignore[operator]
            return None
        assert isinstance(loop, ast.While)
        for test in [loop.test, *(n.test for n in body_nodes(handler.body) if isinstance(n, ast.If))]:
            n = self._bound(test, chain)
            if n is not None:
                return n
        return None

    def _bound(self, test: ast.expr, chain: Chain) -> int | None:
        if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
            return None
        n = self.names.number(test.comparators[0], chain)
        if n is None:
            return None
        op = test.ops[0]
        return int(n) + 1 if isinstance(op, (ast.LtE, ast.Gt)) else int(n)

    def _loop_wait(
        self,
        sleep: ast.Call,
        loop: ast.AST,
        handler: ast.ExceptHandler,
        attempts: int | None,
        chain: Chain,
        number: Callable[[ast.expr], float | None] | None = None,
    ) -> tuple[float | None, str]:
        num = number or (lambda n: self.names.number(n, chain))
        if attempts is None or not sleep.args:
            return None, "wait not read"
        # a sleep that runs on every failure, the last one included, adds `attempts` waits
        gives_up = any(
            isinstance(n, ast.If) and any(isinstance(x, (ast.Raise, ast.Return, ast.Break)) for x in ast.walk(n))
            for n in handler.body
        )
        direct = not gives_up and any(_is_sleep_stmt(s, sleep) for s in handler.body)
        count = attempts if direct else attempts - 1
        arg = sleep.args[0]
        if isinstance(arg, ast.Name):
            grows = [
                n
                for n in ast.walk(loop)
                if isinstance(n, ast.AugAssign)
                and isinstance(n.target, ast.Name)
                and n.target.id == arg.id
                and isinstance(n.op, ast.Mult)
            ]
            start = num(arg)
            grow = _factor(grows[0].value, num) if grows else None
            if start is not None and grow is not None:
                first = start * grow if grows[0].lineno < sleep.lineno else start  # grown before the first sleep
                return exponential_total(first, grow, 0, float("inf"), count), f"exponential from {first:g} s"
        fixed = num(arg)
        if fixed is not None:
            return fixed * count, f"{fixed:g} s between attempts"
        pow_ = next((n for n in ast.walk(arg) if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pow)), None)
        if pow_ is not None:
            base = num(pow_.left)
            if base is not None:
                return exponential_total(1, base, 0, float("inf"), count), f"{base:g} ** attempt s"
        return None, "wait not read"

    # --- a retry class written in the project ------------------------------------------------

    def _retry_class(self, rc: _RetryClass, call: ast.Call, chain: Chain) -> None:
        """`Retrying(max_attempts=3, ...)` of a class in this file whose method retries 429, wrapping an LLM call."""
        if not self._wraps_llm(call):
            return
        bound = rc.bind(call)
        retries_on = self._class_condition(rc, bound)
        if retries_on is None:
            return
        method_chain: Chain = (rc.method,)

        def number(node: ast.expr | None, depth: int = 0) -> float | None:
            if node is None or depth > 8:
                return None
            if isinstance(node, ast.Attribute) and pyfacts.dotted(node.value) == "self":
                return self._caller_number(bound.get(node.attr), chain)
            if isinstance(node, ast.Name):
                found = self.names.value(node, method_chain)
                return number(found, depth + 1) if found is not None and found is not node else None
            if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)):
                a, b = number(node.left, depth + 1), number(node.right, depth + 1)
                if a is None or b is None:
                    return None
                return a + b if isinstance(node.op, ast.Add) else a - b if isinstance(node.op, ast.Sub) else a * b
            return self.names.number(node, method_chain)

        attempts = _range_count(rc.loop, number)
        total, how = self._loop_wait(rc.sleep, rc.loop, rc.handler, attempts, method_chain, number)
        label = pyfacts.function_label(chain)
        self._add(call, label, "loop", retries_on, attempts, total, f"{rc.node.name}: {how}")

    def _caller_number(self, node: ast.expr | None, chain: Chain) -> float | None:
        """A constructor argument; of `A if flag else B` the branch the flag's default picks (both unknown: the larger)."""
        if isinstance(node, ast.IfExp):
            test = self.names.value(node.test, chain)
            if isinstance(test, ast.Constant):
                return self._caller_number(node.body if test.value else node.orelse, chain)
            a, b = self._caller_number(node.body, chain), self._caller_number(node.orelse, chain)
            return None if a is None or b is None else max(a, b)
        return self.names.number(node, chain)

    def _class_condition(self, rc: _RetryClass, bound: dict[str, ast.expr]) -> str | None:
        """The handler tests 429 / rate-limit words itself, or calls a predicate given to the constructor that does."""
        handler_nodes = list(body_nodes(rc.handler.body))
        if pyfacts.mentions(iter(handler_nodes), _RATE_WORDS) or any(
            _is_429(n) for n in handler_nodes if isinstance(n, ast.expr)
        ):
            return f"HTTP 429 ({rc.node.name})"
        for node in handler_nodes:
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if pyfacts.dotted(node.func.value) != "self" or node.func.attr not in bound:
                continue
            given = bound[node.func.attr]
            target = self._local_function(given)
            if target is not None and (pyfacts.mentions(ast.walk(target), _RATE_WORDS) or _is_429(target)):
                return f"HTTP 429 ({pyfacts.dotted(given) or 'lambda'})"
        return None

    def _local_function(self, node: ast.expr) -> ast.AST | None:
        if isinstance(node, ast.Lambda):
            return node
        name = pyfacts.dotted(node)
        for stmt in self.tree.body:
            if isinstance(stmt, pyfacts.FUNCS) and stmt.name == name:
                return stmt
        return None

    def _wraps_llm(self, call: ast.Call) -> bool:
        """The instance is called with an LLM API function first: `retryer(client.chat.completions.create, ...)`."""
        held = {id(call)}
        names = {
            pyfacts.dotted(t)
            for n in ast.walk(self.tree)
            if isinstance(n, ast.Assign) and n.value is call
            for t in n.targets
        }
        for node in ast.walk(self.tree):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            if id(node.func) in held or (pyfacts.dotted(node.func) or "") in names - {None}:
                name = self.names.qualified(node.args[0]) or ""
                if any(name.endswith(s) for s in _LLM_CALLS):
                    return True
        return False

    # --- LiteLLM --------------------------------------------------------------------------

    def _litellm(self, call: ast.Call, chain: Chain, name: str) -> None:
        n = self.names.number(kwarg(call, "num_retries"), chain)
        if n is None or n < 1:
            return
        raw = kwarg(call, "retry_policy")
        rl = None
        if raw is not None:
            policy = self.names.resolve(raw, chain)
            rl = _policy_rate_limit(policy, self.names, chain) if isinstance(policy, ast.expr) else None
            if rl is None or rl == 0:
                return  # a policy that is not read, or sends rate limits to 0 retries
        models = tuple(_models(call, self.names, chain))
        if not models:
            return
        what = f"RateLimitError (retry_policy RateLimitErrorRetries {rl})" if rl else "RateLimitError"
        retries = int(rl if rl else n)
        self._add(call, pyfacts.function_label(chain), "litellm", what, retries + 1, None, "LiteLLM backoff", models)

    # --- the SDKs' own retries -----------------------------------------------------------

    def _sdk(self, call: ast.Call, chain: Chain, name: str) -> None:
        n = self.names.number(kwarg(call, "max_retries"), chain)
        if n is None or n <= SDK_DEFAULT_MAX_RETRIES:
            return  # the default, fewer retries, or a count set at run time
        retries = int(n)
        total = exponential_total(SDK_INITIAL_RETRY_DELAY, 2, 0, SDK_MAX_RETRY_DELAY, retries)
        sdk = name.partition(".")[0] if name != "with_options" else "SDK"
        how = (
            f"{sdk} backoff from {SDK_INITIAL_RETRY_DELAY:g} s doubling, capped at {SDK_MAX_RETRY_DELAY:g} s; "
            f"max_retries={retries} (default {SDK_DEFAULT_MAX_RETRIES})"
        )
        label = pyfacts.function_label(chain)
        self._add(call, label, "sdk", f"every 429 ({pyfacts.dotted(call.func)} max_retries)", retries + 1, total, how)

    def _imports_sdk(self) -> bool:
        return any(v.partition(".")[0] in ("openai", "anthropic") for v in self.names.imports.values())

    # --- helpers --------------------------------------------------------------------------

    def _rate_limit(self, target: ast.AST | None) -> str | None:
        """The SDK rate-limit exception `target` names (a class or a tuple), if any."""
        for node in _exception_nodes(target):
            full = self.names.qualified(node) or ""
            root, _, _ = full.partition(".")
            if full.rsplit(".", 1)[-1] in _RATE_LIMIT_CLASSES and root in _SDK_ROOTS:
                return pyfacts.dotted(node)
        return None

    def _calls_llm(self, body: list[ast.stmt]) -> bool:
        for node in body_nodes(body):
            if isinstance(node, ast.Call):
                name = self.names.qualified(node.func) or ""
                if any(name.endswith(s) for s in _LLM_CALLS):
                    return True
        return False

    def _add(
        self,
        at: ast.AST,
        label: str,
        form: str,
        retries_on: str,
        attempts: int | None,
        total: float | None,
        how: str,
        models: tuple[str, ...] = (),
    ) -> None:
        if self.other_server and form != "litellm":
            return
        self.found.append(
            CodeRetry(
                span=self.span(at),
                function=label,
                form=form,
                retries_on=retries_on,
                attempts=attempts,
                wait_s=total,
                wait_text=how,
                tells_quota_apart=self.quota and form != "litellm",
                models=models,
            )
        )


@dataclass(frozen=True)
class _RetryClass:
    """A class of this file whose method loops over a callable argument, catching broad errors and sleeping."""

    node: ast.ClassDef
    method: pyfacts.Function
    loop: ast.For | ast.AsyncFor | ast.While
    handler: ast.ExceptHandler
    sleep: ast.Call

    def bind(self, call: ast.Call) -> dict[str, ast.expr]:
        """`self.attr` -> the constructor argument (or default) `__init__` stored in it."""
        init = next((n for n in self.node.body if isinstance(n, pyfacts.FUNCS) and n.name == "__init__"), None)
        if init is None:
            return {}
        params = [a.arg for a in (*init.args.posonlyargs, *init.args.args)][1:]
        given: dict[str, ast.expr] = dict(zip(params, call.args, strict=False))
        given.update({k.arg: k.value for k in call.keywords if k.arg})
        out: dict[str, ast.expr] = {}
        for node in body_nodes(init.body):
            if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Name)):
                continue
            value = given.get(node.value.id) or pyfacts.param_default(init, node.value.id)
            for t in node.targets:
                if isinstance(t, ast.Attribute) and pyfacts.dotted(t.value) == "self" and value is not None:
                    out[t.attr] = value
        return out


def _retry_classes(tree: ast.Module) -> dict[str, _RetryClass]:
    out: dict[str, _RetryClass] = {}
    for cls in tree.body:
        if not isinstance(cls, ast.ClassDef):
            continue
        for fn in cls.body:
            found = _retry_method(cls, fn) if isinstance(fn, pyfacts.FUNCS) else None
            if found is not None:
                out[cls.name] = found
                break
    return out


def _retry_method(cls: ast.ClassDef, fn: pyfacts.Function) -> _RetryClass | None:
    params = {a.arg for a in (*fn.args.posonlyargs, *fn.args.args)} - {"self"}
    for loop in body_nodes(fn.body):
        if not isinstance(loop, (ast.For, ast.AsyncFor, ast.While)):
            continue
        for node in body_nodes(loop.body, stop=(ast.For, ast.AsyncFor, ast.While)):
            if not isinstance(node, ast.Try) or not _calls_param(node.body, params):
                continue
            for handler in node.handlers:
                broad = handler.type is None or any(
                    n.rsplit(".", 1)[-1] in _BROAD for n in _exception_names(handler.type)
                )
                sleep = _sleep_in(handler.body, Names()) or _sleep_in(loop.body, Names())
                if broad and sleep is not None and not _gives_up(handler):
                    return _RetryClass(cls, fn, loop, handler, sleep)
    return None


def _calls_param(body: list[ast.stmt], params: set[str]) -> bool:
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in params for n in body_nodes(body)
    )


def _range_count(loop: ast.AST, number: Callable[[ast.expr], float | None]) -> int | None:
    """`for i in range(n)` / `range(a, b)`: the number of passes."""
    it = loop.iter if isinstance(loop, (ast.For, ast.AsyncFor)) else None
    if not (isinstance(it, ast.Call) and pyfacts.dotted(it.func) == "range" and 1 <= len(it.args) <= 2):
        return None
    nums = [number(a) for a in it.args]
    if any(n is None for n in nums):
        return None
    return int(nums[-1] - (nums[0] if len(nums) == 2 else 0))  # type: ignore[operator]


def _factor(node: ast.expr, num: Callable[[ast.expr], float | None]) -> float | None:
    """`delay *= base` or `delay *= base * (1 + jitter * random.random())`: the known factor."""
    n = num(node)
    if n is None and isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        n = num(node.left)
    return n


def exponential_total(first: float, base: float, low: float, high: float, retries: int) -> float:
    """Sum of `retries` waits `first × base^i`, each clamped to [low, high] (bounded loop)."""
    total = 0.0
    delay = first
    for _ in range(min(max(retries, 0), 1000)):
        total += min(max(delay, low), high)
        delay = min(delay * base, 1e12)
    return total


def _exception_nodes(target: ast.AST | None) -> list[ast.AST]:
    if target is None:
        return []
    if isinstance(target, (ast.Tuple, ast.List)):
        return list(target.elts)
    return [target]


def _exception_names(target: ast.AST) -> list[str]:
    return [n for n in (pyfacts.dotted(x) for x in _exception_nodes(target)) if n]


def _gives_up(handler: ast.ExceptHandler) -> bool:
    """The handler ends in an unconditional raise, return or break and never `continue`s: no retry from here."""
    last = handler.body[-1] if handler.body else None
    if not isinstance(last, (ast.Raise, ast.Return, ast.Break)):
        return False
    return not any(isinstance(n, ast.Continue) for n in body_nodes(handler.body, stop=(ast.For, ast.While)))


def _is_429(test: ast.AST) -> bool:
    return any(isinstance(n, ast.Constant) and n.value == 429 for n in ast.walk(test))


def _sleep_in(stmts: list[ast.stmt], names: Names) -> ast.Call | None:
    for node in body_nodes(stmts):
        if isinstance(node, ast.Call) and (names.qualified(node.func) or "").endswith("sleep"):
            return node
    return None


def _is_sleep_stmt(stmt: ast.stmt, sleep: ast.Call) -> bool:
    if not isinstance(stmt, ast.Expr):
        return False
    value = stmt.value.value if isinstance(stmt.value, ast.Await) else stmt.value
    return value is sleep


def _policy_rate_limit(policy: ast.expr, names: Names, chain: Chain) -> float | None:
    if isinstance(policy, ast.Call):
        return names.number(kwarg(policy, "RateLimitErrorRetries"), chain)
    if isinstance(policy, ast.Dict):
        for k, v in zip(policy.keys, policy.values, strict=True):
            if isinstance(k, ast.Constant) and k.value == "RateLimitErrorRetries":
                return names.number(v, chain)
    return None


def _models(call: ast.Call, names: Names, chain: Chain) -> list[str]:
    model = names.text(kwarg(call, "model"), chain)
    if model is not None:
        return [model]
    listed = names.value(kwarg(call, "model_list"), chain)
    out: list[str] = []
    if isinstance(listed, ast.List):
        for node in ast.walk(listed):
            if isinstance(node, ast.Dict):
                for k, v in zip(node.keys, node.values, strict=True):
                    if isinstance(k, ast.Constant) and k.value == "model":
                        text = names.text(v, chain)
                        if text:
                            out.append(text)
    return out


PARSER = pyfacts.fact_parser("python-retries", _GATE, lambda f, tree: _Reader(f, tree).read())
