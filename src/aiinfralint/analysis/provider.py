"""Helpers shared by the provider rules: model pinning, hosted providers, options, clocks."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from aiinfralint.timeutil import Window

# Providers whose API is metered by the provider (quotas, spend caps, shared peaks).
HOSTED_PROVIDERS = frozenset(
    {
        "openai",
        "azure",
        "azure_ai",
        "azure-openai",
        "anthropic",
        "bedrock",
        "bedrock_converse",
        "vertex_ai",
        "vertex_ai_beta",
        "vertex-ai",
        "gemini",
        "google",
        "mistral",
        "cohere",
        "cohere_chat",
        "groq",
        "together_ai",
        "fireworks_ai",
        "deepseek",
        "xai",
        "perplexity",
        "openrouter",
        "text-completion-openai",
    }
)

_DATE = re.compile(r"(?<!\d)(?:20\d{2}-\d{2}-\d{2}|20\d{6}|\d{4}-\d{2}-\d{2})(?!\d)")
_MMDD = re.compile(r"-(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:-preview)?$")  # gpt-4-0613, gpt-4-1106-preview
_YYMM = re.compile(r"-(?:2[3-9])(?:0[1-9]|1[0-2])$")  # mistral-large-2407
_GEMINI_STABLE = re.compile(r"-\d{3}$")  # gemini-2.0-flash-001
_PREVIEW_DATE = re.compile(r"-(?:preview|exp)-\d{2}-\d{2}$")  # gemini-2.5-flash-preview-05-20
_BEDROCK_VERSION = re.compile(r"-v\d+(?::\d+)?$")
_GEO = re.compile(r"^(us|eu|apac|jp|au|ca|us-gov|global)\.")


def bare_model(model: str) -> str:
    """'bedrock/eu.anthropic.claude-3-5-sonnet-20240620-v1:0' -> 'claude-3-5-sonnet-20240620-v1:0'."""
    name = model.strip().split("/")[-1].lower()
    name = _GEO.sub("", name)
    for vendor in ("anthropic.", "meta.", "mistral.", "amazon.", "cohere.", "ai21.", "google."):
        if name.startswith(vendor):
            name = name[len(vendor) :]
    return name.removeprefix("models/")


def pin_status(model: str) -> tuple[bool | None, str]:
    """(True, why) for a dated/stable snapshot, (False, why) for a moving alias, (None, why) unknown."""
    name = bare_model(model)
    if not name or "*" in name or "{" in name:
        return None, "wildcard or templated model name"
    if name.endswith(("-latest", ":latest")) or name == "latest":
        return False, f"`{name}` is a moving `-latest` alias"
    if _DATE.search(name) or _MMDD.search(name) or _YYMM.search(name) or _PREVIEW_DATE.search(name):
        return True, f"`{name}` names a dated snapshot"
    if name.startswith("gemini"):
        if _GEMINI_STABLE.search(name):
            return True, f"`{name}` is a stable Gemini version"
        gen = re.match(r"gemini-(\d+(?:\.\d+)?)", name)
        if gen and float(gen.group(1)) >= 2.5:
            # from 2.5 on, stable Gemini IDs carry no -00N suffix; the bare name is the stable ID
            return None, f"`{name}`: Gemini 2.5+ stable IDs carry no version suffix"
        return False, f"`{name}` is an auto-updated Gemini alias (stable versions end in -001, -002 ...)"
    if _BEDROCK_VERSION.search(name):
        return True, f"`{name}` carries a Bedrock model version"
    if re.match(r"^(gpt-|o[1-9](?:-|$)|chatgpt-)", name):
        return False, f"`{name}` is an OpenAI alias that moves to new snapshots"
    if name.startswith("claude"):
        return False, f"`{name}` is an Anthropic alias without a snapshot date"
    return None, f"`{name}`: version scheme not known"


def is_hosted(provider: str | None, model: str = "", api_base: str | None = None) -> bool:
    if provider is None:
        return False
    p = provider.lower()
    if p not in HOSTED_PROVIDERS:
        return False
    # not an OpenAI-compatible server of someone else (vLLM, a mock, a proxy)
    return not (p == "openai" and api_base and "api.openai.com" not in api_base)


def option_float(options: dict[str, Any], default: float, name: str) -> float:
    norm = {str(k).replace("-", "_"): v for k, v in options.items()}
    key = name.replace("-", "_")
    if key in norm:
        try:
            value = float(norm[key])
        except (TypeError, ValueError):
            return default
        return value if value >= 0 else default
    return default


def overlap_minutes(a: Window, b: Window, day: datetime, weekdays_only_b: bool = False) -> int:
    """Minutes of the local day `day` (in a's zone) where both windows are open."""
    start = day.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=a.tz)
    total = 0
    t = start
    end = start + timedelta(days=1)
    while t < end:
        if a.contains(t) and b.contains(t) and not (weekdays_only_b and t.astimezone(b.tz).weekday() >= 5):
            total += 5
        t += timedelta(minutes=5)
    return total


def fmt_hours(minutes: float) -> str:
    h = minutes / 60
    return f"{h:.0f} h" if abs(h - round(h)) < 0.05 else f"{h:.1f} h"
