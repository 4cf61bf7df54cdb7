from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any, ClassVar

from aiinfralint.analysis.provider import pin_status
from aiinfralint.model.finding import Finding, Impact, Severity
from aiinfralint.model.provider import AIFeature, LiteLLMConfig, LiteLLMDeployment
from aiinfralint.rules.base import Example, Rule, RuleContext, Unpriced

AUTO_UPGRADE = "oncenewdefaultversionavailable"

_BAD = """\
model_list:
  - model_name: assistant
    litellm_params:
      model: vertex_ai/gemini-2.0-flash
      vertex_location: us-central1
  - model_name: assistant
    litellm_params:
      model: vertex_ai/gemini-2.0-flash
      vertex_location: europe-west4
"""

_GOOD = """\
model_list:
  - model_name: assistant
    litellm_params:
      model: vertex_ai/gemini-2.0-flash-001
      vertex_location: us-central1
  - model_name: assistant
    litellm_params:
      model: vertex_ai/gemini-2.0-flash-001
      vertex_location: europe-west4
"""

_BAD_FEATURE = """\
apiVersion: aiinfralint/v1
kind: AIFeature
metadata:
  name: contract-summary
spec:
  model: gpt-4o
  provider: azure
  regions: [eastus2, swedencentral, japaneast]
  modelVersionUpgrade: OnceNewDefaultVersionAvailable
"""


class UnpinnedModelMultiRegion(Rule):
    """One logical model is served in several regions by an alias without a pinned version.

    ## What it does
    Groups LiteLLM `model_list` entries by `model_name` and reports a group whose
    deployments sit in two or more regions (`vertex_location`, `aws_region_name`,
    `region_name`, the Azure resource host, a Bedrock geography prefix) while at least one
    of them names a moving alias: an undated OpenAI name (`gpt-4o`, `gpt-4.1`), an Anthropic
    name without a snapshot date (`claude-sonnet-4-5`), a Gemini name without its stable
    suffix (`gemini-2.0-flash`), or any `*-latest`. For an `AIFeature` it reports the same
    when `regions` lists two or more regions, or when Azure deployments auto-upgrade
    (`modelVersionUpgrade: OnceNewDefaultVersionAvailable`). Dated snapshots
    (`gpt-4o-2024-08-06`, `gemini-2.0-flash-001`, `claude-sonnet-4-5-20250929`) are silent,
    and so are names whose version scheme is not known (self-hosted models, Gemini 2.5 and
    later, whose stable IDs carry no `-00N` suffix). An Azure deployment is judged by its
    `base_model`; without one, the deployment name says nothing about the version.

    ## Why is this bad?
    Providers roll a new snapshot behind an alias region by region and over days or weeks;
    Azure upgrades each regional deployment on its own schedule. For that time the "same"
    model answers differently by continent: evals, prompt tuning and refusals drift, and a
    bug report from one region cannot be reproduced in another.

    ## How the estimate is computed
    No money or latency: the impact lists the regions and the names that float, so the
    blast radius is visible in review.

    ## How to fix
    Pin a dated snapshot or stable version in every region (`gpt-4o-2024-08-06`,
    `gemini-2.0-flash-001`, `claude-sonnet-4-5-20250929`), roll new versions deliberately
    behind evals, and for Azure set `versionUpgradeOption: NoAutoUpgrade` or
    `OnceCurrentVersionExpired`.

    ## References
    - Vertex AI model versions and aliases: https://cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versioning
    - Azure OpenAI model version upgrades: https://learn.microsoft.com/azure/ai-services/openai/concepts/model-versions
    - Anthropic model names and snapshots: https://docs.anthropic.com/en/docs/about-claude/models
    """

    code: ClassVar[str] = "AIL304"
    slug: ClassVar[str] = "unpinned-model-multi-region"
    severity: ClassVar[Severity] = Severity.WARNING
    targets = (LiteLLMConfig, AIFeature)
    inputs: ClassVar[str] = "LiteLLM model_list deployments and regions; AIFeature model and regions"
    summary: ClassVar[str] = "One logical model is served in several regions by an alias without a pinned version"
    examples = (
        Example("litellm/config.yaml", _BAD, expect=("AIL304",), title="Gemini alias in two Vertex regions"),
        Example(
            "features/contract-summary.yaml",
            _BAD_FEATURE,
            expect=("AIL304",),
            title="Azure alias, auto-upgrade, three regions",
        ),
        Example("litellm/config.yaml", _GOOD, title="stable version pinned in both regions"),
    )
    unpriced: ClassVar[tuple[Unpriced, ...]] = (
        Unpriced(
            "usd",
            "no $ figure: this failure costs refused or slow requests (429s, exhausted quota, latency), not extra spend",
        ),
        Unpriced("kgco2e", "no kgCO2e figure: the failure changes when requests fail, not the energy they use"),
    )

    def check(self, obj: Any, ctx: RuleContext) -> Iterator[Finding]:
        if isinstance(obj, LiteLLMConfig):
            yield from self._litellm(obj)
        elif isinstance(obj, AIFeature):
            yield from self._feature(obj)

    def _litellm(self, cfg: LiteLLMConfig) -> Iterator[Finding]:
        groups: dict[str, list[LiteLLMDeployment]] = defaultdict(list)
        for d in cfg.deployments:
            groups[d.model_name].append(d)
        for name, deps in groups.items():
            regions = sorted({d.region for d in deps if d.region})
            if len(regions) < 2:
                continue
            floating: list[tuple[LiteLLMDeployment, str]] = []
            for d in deps:
                target = d.base_model if d.provider == "azure" else d.model
                if d.provider == "azure" and not d.base_model:
                    continue  # an Azure deployment name says nothing about the model version behind it
                pinned, why = pin_status(target or d.model)
                if pinned is False:
                    floating.append((d, why))
            if not floating:
                continue
            first, why = floating[0]
            models = sorted(
                {(d.base_model if d.provider == "azure" and d.base_model else d.model) for d, _ in floating}
            )
            yield self.finding(
                cfg,
                f"Model group `{name}` is served in {len(regions)} regions ({', '.join(regions)}) through "
                f"{', '.join(f'`{m}`' for m in models)}, an alias that each region may resolve to a different snapshot.",
                remediation=(
                    "Pin the same dated snapshot or stable version in every deployment of the group (for example "
                    "`gpt-4o-2024-08-06`, `gemini-2.0-flash-001`, `claude-sonnet-4-5-20250929`) and roll new versions "
                    "deliberately behind evals."
                ),
                impact=Impact(
                    assumptions=(
                        f"regions: {', '.join(f'{d.region} ({d.region_source})' for d in deps if d.region)}",
                        why,
                    )
                ),
                span=(first.base_model_span if first.provider == "azure" else None) or first.model_span or first.span,
                key=name,
            )

    def _feature(self, f: AIFeature) -> Iterator[Finding]:
        spec = f.spec
        regions = list(dict.fromkeys(spec.regions))
        if len(regions) < 2:
            return
        pinned, why = pin_status(spec.model)
        upgrade = (spec.model_version_upgrade or "").lower() == AUTO_UPGRADE
        if pinned is not False and not upgrade:
            return
        reason = (
            why
            if pinned is False
            else (
                f"Azure deployments set to {spec.model_version_upgrade} move to each new default version region by region"
            )
        )
        extra = f" with {spec.model_version_upgrade}" if upgrade else ""
        yield self.finding(
            f,
            f"{f.display_name} serves `{spec.model}`{extra} in {len(regions)} regions ({', '.join(regions)}) without a "
            "pinned version, so each region may answer with a different snapshot.",
            remediation=(
                "Pin a dated snapshot or stable version (for example `gpt-4o-2024-08-06`, `gemini-2.0-flash-001`) in "
                "every region; for Azure set `versionUpgradeOption: NoAutoUpgrade` or `OnceCurrentVersionExpired` and "
                "upgrade regions together after evals."
            ),
            impact=Impact(assumptions=(f"regions: {', '.join(regions)}", reason)),
            span=f.span_of("modelVersionUpgrade" if upgrade and pinned is not False else "model"),
            key="model",
        )
