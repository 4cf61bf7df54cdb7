"""LiteLLM proxy `config.yaml`: model_list deployments, retries, fallbacks, budgets, alerting.

Values such as `os.environ/OPENAI_API_KEY` are plain strings here; numbers that are
read from the environment are unknown (None), never an error.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from aiinfralint.model.base import ModelObject, Span
from aiinfralint.model.provider import LiteLLMConfig, LiteLLMDeployment, provider_of
from aiinfralint.parsers.base import FileInput
from aiinfralint.parsers.registry import DocumentError, DocumentHandler
from aiinfralint.parsers.values import as_int as _int
from aiinfralint.parsers.values import node_span as _span
from aiinfralint.yamlsafe import YList, YMap

SECTIONS = ("model_list", "litellm_settings", "router_settings", "general_settings")

# Azure regions as they appear in resource host names (my-eastus2.openai.azure.com)
AZURE_REGIONS = (
    "australiaeast",
    "brazilsouth",
    "canadacentral",
    "canadaeast",
    "centralus",
    "eastus2",
    "eastus",
    "francecentral",
    "germanywestcentral",
    "japaneast",
    "japanwest",
    "koreacentral",
    "northcentralus",
    "norwayeast",
    "polandcentral",
    "southafricanorth",
    "southcentralus",
    "southindia",
    "spaincentral",
    "swedencentral",
    "switzerlandnorth",
    "switzerlandwest",
    "uaenorth",
    "uksouth",
    "westeurope",
    "westus3",
    "westus2",
    "westus",
    "italynorth",
    "northeurope",
    "eastasia",
    "southeastasia",
)
_BEDROCK_GEO = re.compile(r"^(us|eu|apac|jp|au|ca|us-gov|global)\.")
_REGION_KEYS = ("vertex_location", "vertex_ai_location", "aws_region_name", "region_name")


def claims(doc: Any, f: FileInput) -> bool:
    if not isinstance(doc, YMap) or "apiVersion" in doc:
        return False
    if isinstance(doc.get("model_list"), YList):
        return True
    return any(isinstance(doc.get(k), YMap) for k in SECTIONS[1:]) and (
        "model_list" in doc or isinstance(doc.get("router_settings"), YMap) or _mentions_litellm(f.text)
    )


@lru_cache(maxsize=4)  # asked per document: a file of many documents must not lower-case itself each time
def _mentions_litellm(text: str) -> bool:
    return "litellm" in text.lower()


def claims_text(f: FileInput) -> bool:
    return re.search(r"^model_list\s*:", f.text, re.MULTILINE) is not None and "litellm_params" in f.text


def _float(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.strip())
        except ValueError:
            return None
    return None


def _str(v: Any) -> str | None:
    if v is None or isinstance(v, (YMap, YList)):
        return None
    return str(v)


def region_of(params: YMap, model: str) -> tuple[str | None, str | None]:
    for key in _REGION_KEYS:
        v = _str(params.get(key))
        if v and not v.startswith("os.environ/"):
            return v.strip(), key
    bare = model.split("/", 1)[1] if "/" in model else model
    geo = _BEDROCK_GEO.match(bare)
    if geo and model.lower().startswith(("bedrock/", "bedrock_converse/")):
        return f"{geo.group(1)} (cross-region inference profile)", "model prefix"
    base = _str(params.get("api_base")) or ""
    if ".openai.azure.com" in base or ".cognitiveservices.azure.com" in base or ".services.ai.azure.com" in base:
        host = re.sub(r"^https?://", "", base).split("/", 1)[0].split(".", 1)[0].lower()
        for region in AZURE_REGIONS:
            if region in host.replace("-", ""):
                return region, "api_base host"
    return None, None


def _deployment(entry: YMap, f: FileInput) -> LiteLLMDeployment | None:
    name = _str(entry.get("model_name"))
    params = entry.get("litellm_params")
    if not name or not isinstance(params, YMap):
        return None
    model = _str(params.get("model"))
    if not model:
        return None
    info = entry.get("model_info")
    base_model = _str(params.get("base_model"))
    base_span = _span(f, params, "base_model") if base_model else None
    if base_model is None and isinstance(info, YMap):
        base_model = _str(info.get("base_model"))
        base_span = _span(f, info, "base_model") if base_model else None
    region, source = region_of(params, model)
    return LiteLLMDeployment(
        span=_span(f, entry, "model_name"),
        model_name=name,
        model=model,
        provider=provider_of(model),
        region=region,
        region_source=source,
        api_base=_str(params.get("api_base")),
        api_version=_str(params.get("api_version")),
        base_model=base_model,
        model_span=_span(f, params, "model"),
        base_model_span=base_span,
    )


def parse(doc: Any, f: FileInput, index: int) -> list[ModelObject]:
    spans = _section_spans(doc, f)
    ls = doc.get("litellm_settings") if isinstance(doc.get("litellm_settings"), YMap) else YMap()
    rs = doc.get("router_settings") if isinstance(doc.get("router_settings"), YMap) else YMap()
    gs = doc.get("general_settings") if isinstance(doc.get("general_settings"), YMap) else YMap()
    fallbacks = any(
        isinstance(v, (YList, YMap)) and len(v) > 0
        for node in (rs, ls)
        for v in (node.get("fallbacks"), node.get("default_fallbacks"))
    )
    return [
        LiteLLMConfig(
            span=_span(f, doc, next((s for s in SECTIONS if s in doc), None)),
            field_spans=spans,
            deployments=_deployments(doc, f),
            **_retries(rs, ls, f, spans),
            fallbacks=fallbacks,
            **_budgets(rs, ls, f, spans),
            timezone=_str(ls.get("timezone")),
            **_alerts(gs),
            has_database="database_url" in gs,
        )
    ]


def _section_spans(doc: YMap, f: FileInput) -> dict[str, Span]:
    """Where each top-level section starts; a section of the wrong shape is an error."""
    spans: dict[str, Span] = {}
    for section in SECTIONS:
        if section in doc:
            spans[section] = _span(f, doc, section)
            if doc[section] is not None and not isinstance(doc[section], (YMap, YList)):
                line, col = doc.pos(section)
                want = "a list" if section == "model_list" else "a mapping"
                raise DocumentError(f"LiteLLM config: `{section}` must be {want}", line, col)
    return spans


def _deployments(doc: YMap, f: FileInput) -> tuple[LiteLLMDeployment, ...]:
    deployments: list[LiteLLMDeployment] = []
    ml = doc.get("model_list")
    if isinstance(ml, YList):
        for item in ml:
            if isinstance(item, YMap):
                d = _deployment(item, f)
                if d is not None:
                    deployments.append(d)
    return tuple(deployments)


def _retries(rs: YMap, ls: YMap, f: FileInput, spans: dict[str, Span]) -> dict[str, Any]:
    """`num_retries` (router settings first) and the router's per-error `retry_policy`."""
    num_retries: int | None = None
    retries_key: str | None = None
    for section, node in (("router_settings", rs), ("litellm_settings", ls)):
        n = _int(node.get("num_retries"))
        if n is not None:
            num_retries, retries_key = n, f"{section}.num_retries"
            spans["num_retries"] = _span(f, node, "num_retries")
            break
    retry_policy: dict[str, int] | None = None
    rp = rs.get("retry_policy")
    if isinstance(rp, YMap):
        retry_policy = {str(k): v for k, v in ((k, _int(v)) for k, v in rp.items()) if v is not None}
        spans["retry_policy"] = _span(f, rs, "retry_policy")
    return {"num_retries": num_retries, "num_retries_key": retries_key, "retry_policy": retry_policy}


def _budgets(rs: YMap, ls: YMap, f: FileInput, spans: dict[str, Span]) -> dict[str, Any]:
    """The proxy-wide budget and the router's per-provider budgets."""
    max_budget = _float(ls.get("max_budget"))
    if "max_budget" in ls:
        spans["max_budget"] = _span(f, ls, "max_budget")
    provider_budgets: dict[str, tuple[float | None, str | None]] = {}
    pbc = rs.get("provider_budget_config")
    if isinstance(pbc, YMap):
        spans["provider_budget_config"] = _span(f, rs, "provider_budget_config")
        for prov, cfg in pbc.items():
            if isinstance(cfg, YMap):
                provider_budgets[str(prov)] = (_float(cfg.get("budget_limit")), _str(cfg.get("time_period")))
    return {
        "max_budget": max_budget,
        "budget_duration": _str(ls.get("budget_duration")),
        "budget_reset_time": _str(ls.get("budget_reset_time")),
        "provider_budgets": provider_budgets,
    }


def _alerts(gs: YMap) -> dict[str, Any]:
    """The alerting channels and alert types of `general_settings`."""
    alerting = gs.get("alerting")
    alerts = tuple(str(a) for a in alerting if not isinstance(a, (YMap, YList))) if isinstance(alerting, YList) else ()
    if isinstance(alerting, str):
        alerts = (alerting,)
    at = gs.get("alert_types")
    alert_types = tuple(str(a) for a in at) if isinstance(at, YList) else None
    return {"alerting": alerts, "alert_types": alert_types}


HANDLER = DocumentHandler(
    name="LiteLLM config",
    claims=claims,
    parse=parse,
    claims_text=claims_text,
)
