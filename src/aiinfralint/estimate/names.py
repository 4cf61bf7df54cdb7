"""Spelling tolerance: model ids, GPU product names and cloud regions as configs write them."""

from __future__ import annotations

import re
from collections.abc import Iterator

# --- models -------------------------------------------------------------------------------

# Bedrock ids and cross-Region inference profiles: `us.anthropic.claude-…`, `anthropic.claude-…`
_BEDROCK_PREFIX = re.compile(
    r"^(?:(?:us|eu|apac|jp|au|ca|us-gov|global)\.)?"
    r"(?:anthropic|meta|amazon|mistral|cohere|ai21|deepseek|openai|qwen|writer)\."
)
# Applied repeatedly, in this order, to the tail of the id.
_MODEL_SUFFIXES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"-v\d+:\d+$"), "Bedrock version suffix"),
    (re.compile(r"@(?:\d{8}|\d{3}|latest)$"), "Vertex version suffix"),
    (re.compile(r"-\d{4}-\d{2}-\d{2}$"), "date suffix"),
    (re.compile(r"-\d{8}$"), "date suffix"),
    (re.compile(r"-\d{3}$"), "stable-version suffix"),
    (re.compile(r"-latest$"), "`-latest`"),
)


def model_candidates(model: str) -> Iterator[tuple[str, tuple[str, ...]]]:
    """Yield spellings to try, most specific first, with the steps taken to reach each."""
    s = model.strip().lower()
    steps: tuple[str, ...] = ()
    yield s, steps
    if "/" in s:
        s = s.rsplit("/", 1)[1]
        steps += ("provider prefix",)
        yield s, steps
    stripped = _BEDROCK_PREFIX.sub("", s)
    if stripped != s:
        s = stripped
        steps += ("Bedrock prefix",)
        yield s, steps
    changed = True
    while changed:
        changed = False
        for pattern, what in _MODEL_SUFFIXES:
            new = pattern.sub("", s)
            if new != s and new:
                s = new
                steps += (what,)
                changed = True
                yield s, steps
                break


def provider_for_model(model: str) -> str | None:
    """Guess the vendor from the id (for models not in the price table)."""
    s = model.strip().lower()
    if s.startswith(("anthropic/", "bedrock/")) or "anthropic." in s or "claude" in s:
        return "anthropic"
    if s.startswith(("gemini/", "vertex_ai/gemini")) or "gemini" in s:
        return "gemini"
    tail = s.rsplit("/", 1)[-1]
    if s.startswith(("openai/", "azure/")) or re.match(r"^(gpt-|o\d|chatgpt-|text-embedding-)", tail):
        return "openai"
    return None


# --- GPUs ---------------------------------------------------------------------------------

_GPU_VENDOR_PREFIXES = ("nvidia-", "tesla-", "amd-", "instinct-", "gpu-")
_GPU_NOISE_TOKENS = re.compile(r"-(?:hbm\d*e?|gddr\d*x?)(?=-|$)")
# GPU Feature Discovery appends `-SHARED` under time-slicing and `-MIG-<profile>` for MIG slices
_GPU_SHARING_SUFFIX = re.compile(r"-(?:shared|mig-.*)$")


def gpu_key(name: str) -> str:
    """`NVIDIA-H100-80GB-HBM3`, `nvidia.com/gpu.product=Tesla-T4`, `nvidia-gpu-l4` → comparable keys."""
    s = name.strip().lower()
    if "=" in s:  # a whole `label=value` pasted in
        s = s.split("=", 1)[1]
    s = re.sub(r"[^a-z0-9]+", "-", s).strip("-")
    changed = True
    while changed:
        changed = False
        for prefix in _GPU_VENDOR_PREFIXES:
            if s.startswith(prefix) and len(s) > len(prefix):
                s = s[len(prefix) :]
                changed = True
    return s


def gpu_candidates(name: str) -> Iterator[tuple[str, str | None]]:
    """Keys to try for a GPU name, with a note when the match loses precision."""
    key = gpu_key(name)
    yield key, None
    whole = _GPU_SHARING_SUFFIX.sub("", key)
    if whole != key:
        key = whole
        yield key, None
    quiet = _GPU_NOISE_TOKENS.sub("", key)
    if quiet != key:
        yield quiet, None
    family = key.split("-", 1)[0]
    if family and family != key:
        yield family, f"variant of {name!r} not recognised; assumed the {family.upper()} default variant"


# --- regions ------------------------------------------------------------------------------

_AWS_REGION = re.compile(
    r"^(?:us|eu|ap|sa|ca|me|af|il|mx|cn)(?:-gov|-iso[a-z]?)?-"
    r"(?:east|west|north|south|central|northeast|southeast|northwest|southwest)-\d+$"
)
_AWS_ZONE = re.compile(r"^(" + _AWS_REGION.pattern[1:-1] + r")[a-z]$")
_GCP_REGION = re.compile(r"^(?:us|europe|asia|australia|northamerica|southamerica|me|africa)-[a-z]+\d+$")
_GCP_ZONE = re.compile(r"^(" + _GCP_REGION.pattern[1:-1] + r")-[a-z]$")
_AZURE_REGION = re.compile(
    r"^(?:east|west|north|south|central|northcentral|southcentral|westcentral|"
    r"uk|france|germany|sweden|norway|switzerland|japan|korea|australia|brazil|canada|"
    r"india|uae|qatar|israel|italy|poland|spain|mexico|southeastasia|eastasia|"
    r"southafrica|newzealand|austria|belgium|chile|indonesia|malaysia)"
    r"[a-z]*\d?$"
)


def region_key(region: str) -> str:
    """Lower-case; Azure display names lose spaces (`East US` → `eastus`); zones become regions."""
    s = region.strip().lower()
    if " " in s:
        s = s.replace(" ", "")
    m = _AWS_ZONE.match(s)
    if m:
        return m.group(1)
    m = _GCP_ZONE.match(s)
    if m:
        return m.group(1)
    return s


def provider_for_region(region: str | None) -> str | None:
    """`us-east-1` → aws, `us-central1` → gcp, `eastus` → azure; otherwise None."""
    if not region:
        return None
    s = region_key(region)
    if _AWS_REGION.match(s):
        return "aws"
    if _GCP_REGION.match(s):
        return "gcp"
    if "-" not in s and _AZURE_REGION.match(s):
        return "azure"
    return None


_PROVIDER_ALIASES = {
    "aws": "aws",
    "amazon": "aws",
    "ec2": "aws",
    "eks": "aws",
    "bedrock": "aws",
    "gcp": "gcp",
    "google": "gcp",
    "gce": "gcp",
    "gke": "gcp",
    "vertex_ai": "gcp",
    "vertex": "gcp",
    "azure": "azure",
    "aks": "azure",
    "microsoft": "azure",
}


def provider_key(provider: str | None) -> str | None:
    if not provider:
        return None
    s = provider.strip().lower()
    return _PROVIDER_ALIASES.get(s, s)
