"""Cost, energy and carbon estimates on top of the shipped tables and the user's overrides.

Money and carbon are `Decimal` with full precision; round only for display. Every result says
what it assumed and which table row (version, as-of date) it used; what cannot be priced is
reported as unpriced with a reason, never as zero.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from aiinfralint.config import Config
from aiinfralint.estimate import names
from aiinfralint.estimate.tables import Table, load_table, to_decimal, with_overrides
from aiinfralint.model.finding import DefaultUsed, Impact, Unpriced

MILLION = Decimal(1_000_000)
HOURS_PER_MONTH = Decimal(730)  # 8,760 h / 12
DAYS_PER_MONTH = 30

# --- results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceLookup:
    """An hourly GPU price: `usd_per_hour` is for `count` GPUs (None when unpriced)."""

    usd_per_hour: Decimal | None
    basis: str
    source: str
    table_version: str
    as_of: str
    reason_unpriced: str | None = None
    gpu: str | None = None
    count: int = 1
    usd_per_gpu_hour: Decimal | None = None
    instance_type: str | None = None
    provider: str | None = None
    price_region: str | None = None

    @property
    def priced(self) -> bool:
        return self.usd_per_hour is not None

    def missing(self, prefix: str = "") -> Unpriced:
        """The $ figure this lookup could not give, and why."""
        return Unpriced("usd", f"{prefix}{self.reason_unpriced}")


@dataclass(frozen=True)
class CostLookup:
    """A token bill: `usd` for the tokens given (None when unpriced)."""

    usd: Decimal | None
    basis: str
    sources: tuple[str, ...]
    reason_unpriced: str | None = None
    model: str | None = None
    table_version: str = ""
    as_of: str = ""

    @property
    def priced(self) -> bool:
        return self.usd is not None

    def missing(self, prefix: str = "") -> Unpriced:
        """The $ figure this bill could not give, and why."""
        return Unpriced("usd", f"{prefix}{self.reason_unpriced}")


class PowerLookup(NamedTuple):
    watts: Decimal | None
    idle_watts: Decimal | None
    source: str


class CacheMinimum(NamedTuple):
    min_tokens: int | None
    provider: str | None
    source: str


class GridLookup(NamedTuple):
    g_per_kwh: Decimal
    basis: str
    source: str


class PueLookup(NamedTuple):
    pue: Decimal
    source: str


@dataclass(frozen=True)
class ModelPrices:
    """One resolved row of models.yaml (USD per 1M tokens)."""

    key: str
    provider: str | None
    input: Decimal | None
    cached_input: Decimal | None
    cache_write_5m: Decimal | None
    cache_write_1h: Decimal | None
    output: Decimal | None
    matched_by: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class CacheRule:
    """Prompt-cache behaviour for a model (cache_rules.yaml)."""

    provider: str | None
    min_tokens: int | None
    ttl: str | None
    write_multiplier: Decimal | None
    write_multiplier_1h: Decimal | None
    read_multiplier: Decimal | None
    granularity: str | None
    source: str
    # automatic (OpenAI), explicit (Anthropic: only at cache_control breakpoints), implicit
    # (Gemini), self-hosted (vLLM/SGLang); None: not known
    caching: str | None = None
    # False: hits cost the same per token as misses (self-hosted engines)
    priced: bool = True
    # how often a warm entry is written again under steady traffic (eviction, retention caps)
    warm_rewrites_per_day: int = 1
    note: str | None = None


# --- formatting ---------------------------------------------------------------------------


def fmt_num(value: Decimal | float | int, places: int | None = None) -> str:
    """`Decimal('2820.7200')` → `2,820.72`; no exponent notation."""
    d = value if isinstance(value, Decimal) else Decimal(str(value))
    if places is not None:
        d = d.quantize(Decimal(1).scaleb(-places))
    text = f"{d:,f}"
    if "." in text and places is None:
        text = text.rstrip("0").rstrip(".")
    return text


def fmt_usd(value: Decimal) -> str:
    """Dollars for people: cents, except sub-cent unit prices keep their digits."""
    if value != 0 and abs(value) < 1:
        exponent = value.normalize().as_tuple().exponent
        places = max(2, -exponent) if isinstance(exponent, int) else 2
        return "$" + (fmt_num(value, places) if places <= 6 else fmt_num(value))
    return "$" + fmt_num(value, 2)


def _share(count: int, per_instance: int, instance: str) -> str:
    """`4 of its 8 GPUs`, `2 × g5.xlarge`, or `12 GPUs = 1.5 × p5.48xlarge`."""
    if count < per_instance:
        return f"{count} of its {per_instance} GPUs"
    if count % per_instance == 0:
        return f"{count // per_instance} × {instance}"
    return f"{count} GPUs = {fmt_num(Decimal(count) / per_instance, 2)} × {instance}"


def _dec(value: float | int | Decimal | str) -> Decimal:
    d = to_decimal(value)
    assert d is not None
    return d


# --- the estimator ------------------------------------------------------------------------


class Estimator:
    """Estimates for rules and reports. Cheap to build; tables load on first use."""

    def __init__(self, config: Config | None = None) -> None:
        self.config = config if config is not None else Config()
        self.override_source = f"configuration ({self.config.source})" if self.config.source else "configuration"
        self._tables: dict[str, Table] = {}
        self._indexes: dict[str, dict[str, str]] = {}
        # a fleet repeats the same hardware and hours: each distinct GPU estimate is made
        # once per estimator (Impact is frozen, so sharing it is safe)
        self._gpu_memo: dict[tuple[Any, ...], Impact] = {}
        # (configuration key, value) -> what it is, for each default an estimate relied on
        self._defaults: dict[tuple[str, str], str] = {}

    def __getstate__(self) -> dict[str, Any]:
        # caches hold read-only views that do not pickle; a worker process rebuilds them
        state = dict(self.__dict__)
        state["_tables"] = {}
        state["_indexes"] = {}
        state["_gpu_memo"] = {}
        return state

    def defaults_used(self) -> tuple[DefaultUsed, ...]:
        """The defaults the estimates made so far relied on, each with the key that changes it."""
        return tuple(DefaultUsed(key, value, what) for (key, value), what in sorted(self._defaults.items()))

    def relied_on(self, key: str, value: str, what: str) -> None:
        """Record that an estimate used a default the configuration does not set (`key` as in the TOML)."""
        self._defaults.setdefault((key, value), what)

    def default_calls_per_day(self) -> int:
        """Calls a day of a prompt without configured traffic ([traffic] calls-per-day)."""
        traffic = self.config.traffic
        if "calls_per_day" not in traffic.model_fields_set:
            self.relied_on(
                "traffic.calls-per-day", fmt_num(traffic.calls_per_day), "calls a day of a prompt without traffic"
            )
        return traffic.calls_per_day

    # -- tables and overrides

    def _overrides(self, name: str) -> dict[str, dict[str, Any]]:
        # rows and columns were checked when the configuration loaded (config.PricingConfig)
        if name == "cache_rules":
            return {}
        return self.config.pricing.rows(name)

    def table(self, name: str) -> Table:
        """A shipped table with this configuration's overrides merged in."""
        cached = self._tables.get(name)
        if cached is not None:
            return cached
        base = load_table(name)
        resolver: Callable[[str], str | None] | None = {
            "models": self._resolve_model_key_in(base),
            "gpus": self._resolve_gpu_key_in(base),
            "instances": self._resolve_instance_key_in(base),
            "grid": self._resolve_grid_key_in(base),
            "pue": lambda k: names.provider_key(k) if names.provider_key(k) in base.rows else None,
            "inference_energy": lambda k: k.strip().lower() if k.strip().lower() in base.rows else None,
        }.get(name)
        merged = with_overrides(base, self._overrides(name), self.override_source, resolver)
        self._tables[name] = merged
        return merged

    @staticmethod
    def _index(table: Table, keyfunc: Callable[[str], str]) -> dict[str, str]:
        index: dict[str, str] = {}
        for key, row in table.rows.items():
            index.setdefault(keyfunc(key), key)
        # aliases after row keys, so a row key always wins over another row's alias
        for key, row in table.rows.items():
            for alias in row.get("aliases") or ():
                index.setdefault(keyfunc(str(alias)), key)
        return index

    def _idx(self, name: str, keyfunc: Callable[[str], str]) -> dict[str, str]:
        idx = self._indexes.get(name)
        if idx is None:
            idx = self._index(self.table(name), keyfunc)
            self._indexes[name] = idx
        return idx

    # models

    @classmethod
    def _find_model(cls, index: Mapping[str, str], model: str) -> tuple[str, tuple[str, ...]] | None:
        for candidate, steps in names.model_candidates(model):
            if candidate in index:
                return index[candidate], steps
        return None

    def _resolve_model_key_in(self, base: Table) -> Callable[[str], str | None]:
        index = self._index(base, str.lower)

        def resolve(key: str) -> str | None:
            # overrides name rows exactly (or by alias); no family fallback, so a new
            # dated snapshot can get its own price
            return index.get(key.strip().lower())

        return resolve

    def resolve_model(self, model: str) -> str | None:
        """The models.yaml row a model id prices as, or None."""
        found = self._find_model(self._idx("models", str.lower), model)
        return found[0] if found else None

    def model_prices(self, model: str) -> ModelPrices | None:
        found = self._find_model(self._idx("models", str.lower), model)
        if found is None:
            return None
        key, steps = found
        t = self.table("models")
        row = t.rows[key]
        return ModelPrices(
            key=key,
            provider=row.get("provider") or names.provider_for_model(key),
            input=to_decimal(row.get("input")),
            cached_input=to_decimal(row.get("cached_input")),
            cache_write_5m=to_decimal(row.get("cache_write_5m")),
            cache_write_1h=to_decimal(row.get("cache_write_1h")),
            output=to_decimal(row.get("output")),
            matched_by=steps,
            source=t.cite(key),
        )

    def _model_unknown(self, model: str) -> str:
        t = self.table("models")
        return (
            f"model {model!r} is not in {t.label} (also tried without provider prefix, "
            f"date/version suffix and `-latest`); add it under [tool.aiinfralint.pricing.models]"
        )

    @staticmethod
    def _match_note(model: str, prices: ModelPrices) -> str:
        if not prices.matched_by:
            return f"{model} priced as {prices.key}"
        return f"{model} priced as {prices.key} (after dropping {', '.join(prices.matched_by)})"

    # GPUs

    def _resolve_gpu_key_in(self, base: Table) -> Callable[[str], str | None]:
        index = self._index(base, names.gpu_key)

        def resolve(key: str) -> str | None:
            return index.get(names.gpu_key(key))

        return resolve

    def _find_gpu(self, gpu: str) -> tuple[str, str | None] | None:
        index = self._idx("gpus", names.gpu_key)
        for candidate, note in names.gpu_candidates(gpu):
            if candidate in index:
                return index[candidate], note
        return None

    def resolve_gpu(self, gpu: str) -> str | None:
        """The gpus.yaml row for a product name or node-label value, or None."""
        found = self._find_gpu(gpu)
        return found[0] if found else None

    def _gpu_unknown(self, gpu: str | None) -> str:
        if gpu is None or not str(gpu).strip():
            return "GPU model unknown: nothing names an accelerator (node selector, instance type or label)"
        return f"GPU {gpu!r} is not in {self.table('gpus').label}; add it under [tool.aiinfralint.pricing.gpus]"

    # instances

    def _resolve_instance_key_in(self, base: Table) -> Callable[[str], str | None]:
        index = self._index(base, str.lower)
        return lambda key: index.get(key.strip().lower())

    def resolve_instance(self, instance_type: str) -> str | None:
        return self._idx("instances", str.lower).get(instance_type.strip().lower())

    # grid

    @staticmethod
    def _grid_key(key: str) -> str:
        if "/" in key:
            provider, region = key.split("/", 1)
            return f"{names.provider_key(provider)}/{names.region_key(region)}"
        return names.region_key(key)

    def _resolve_grid_key_in(self, base: Table) -> Callable[[str], str | None]:
        index = {self._grid_key(k): k for k in base.rows}

        def resolve(key: str) -> str | None:
            k = self._grid_key(key)
            if k in index:
                return index[k]
            if "/" not in k:
                provider = names.provider_for_region(k)
                if provider and f"{provider}/{k}" in index:
                    return index[f"{provider}/{k}"]
                hits = [v for kk, v in index.items() if kk.split("/", 1)[-1] == k]
                if len(hits) == 1:
                    return hits[0]
                if provider:
                    return f"{provider}/{k}"  # a new row under the guessed provider
            return None

        return resolve

    # -- public API: prices

    def gpu_price_per_hour(
        self,
        gpu: str | None = None,
        *,
        instance_type: str | None = None,
        count: int = 1,
        provider: str | None = None,
        region: str | None = None,
    ) -> PriceLookup:
        """On-demand price for `count` GPUs for one hour.

        With `instance_type`, the instance's price is shared per GPU (`count` of its GPUs);
        otherwise the GPU's indicative $/GPU-hour, taken from the cheapest per-GPU instance
        of `provider` when one is listed. A GPU price set in configuration beats shipped ones.
        """
        notes: list[str] = []
        gpu_key: str | None = None
        if gpu:
            found = self._find_gpu(gpu)
            if found:
                gpu_key, note = found
                if note:
                    notes.append(note)
        # 1. a named instance type
        if instance_type:
            priced, gpu_key, provider = self._named_instance_price(
                instance_type, gpu_key, count, provider, region, notes
            )
            if priced is not None:
                return priced
        if gpu_key is None:
            return self._unknown_gpu_price(gpu, instance_type, count, notes)
        gpus = self.table("gpus")
        configured = gpu_key in gpus.overridden and gpus.rows[gpu_key].get("usd_per_hour") is not None
        # 2. the cheapest per-GPU instance of this provider
        if not configured and provider:
            priced = self._provider_instance_price(gpu_key, provider, count, region, notes)
            if priced is not None:
                return priced
        # 3. the GPU row's indicative price
        return self._gpu_row_price(gpu_key, count, provider, configured, notes)

    def _named_instance_price(
        self,
        instance_type: str,
        gpu_key: str | None,
        count: int,
        provider: str | None,
        region: str | None,
        notes: list[str],
    ) -> tuple[PriceLookup | None, str | None, str | None]:
        """(price, GPU key, provider) from a named instance type; no price when it lists none
        or a configured GPU price should win."""
        gpus = self.table("gpus")
        insts = self.table("instances")
        ikey = self.resolve_instance(instance_type)
        if ikey is None:
            notes.append(f"instance type {instance_type!r} is not in {insts.label}")
            return None, gpu_key, provider
        row = insts.rows[ikey]
        inst_gpu = self.resolve_gpu(str(row.get("gpu", ""))) if row.get("gpu") else None
        gpu_key = gpu_key or inst_gpu
        n = int(row.get("count") or 1)
        price, price_region = self._instance_price(row, region)
        gpu_overridden = (
            gpu_key is not None and gpu_key in gpus.overridden and gpus.rows[gpu_key].get("usd_per_hour") is not None
        )
        if price is not None and not (gpu_overridden and ikey not in insts.overridden):
            per_gpu = price / n
            basis = (
                f"{ikey} on-demand {fmt_usd(price)}/h"
                f"{' in ' + price_region if price_region else ''} for {n} × {inst_gpu or 'GPU'}"
                f" = {fmt_usd(per_gpu)}/GPU-hour; " + _share(count, n, ikey)
            )
            priced = self._instance_lookup(
                ikey, per_gpu, count, basis, notes, region, price_region, gpu_key, row.get("provider")
            )
            return priced, gpu_key, provider
        if price is None:
            notes.append(f"{ikey} has no on-demand price in {insts.label}")
        return None, gpu_key, provider or row.get("provider")

    def _unknown_gpu_price(
        self, gpu: str | None, instance_type: str | None, count: int, notes: list[str]
    ) -> PriceLookup:
        gpus = self.table("gpus")
        reason = self._gpu_unknown(gpu)
        if instance_type and not gpu:
            reason = "; ".join(notes) or reason
        return PriceLookup(
            None,
            "; ".join(notes) or reason,
            gpus.label,
            gpus.version,
            gpus.as_of,
            reason_unpriced=reason,
            count=count,
            instance_type=instance_type,
        )

    def _provider_instance_price(
        self, gpu_key: str, provider: str, count: int, region: str | None, notes: list[str]
    ) -> PriceLookup | None:
        """The GPU priced from the cheapest per-GPU instance `provider` lists for it, if any."""
        best = self._cheapest_instance(gpu_key, names.provider_key(provider), region)
        if best is None:
            return None
        insts = self.table("instances")
        ikey, per_gpu, n, price, price_region = best
        stand_in = any(insts.label in note for note in notes)  # the named instance is unlisted or unpriced
        basis = (
            f"{'priced as nearest: ' if stand_in else ''}{gpu_key} priced from {ikey} on-demand {fmt_usd(price)}/h"
            f"{' in ' + price_region if price_region else ''} ÷ {n} GPU{'s' if n != 1 else ''}"
            f" = {fmt_usd(per_gpu)}/GPU-hour"
        )
        return self._instance_lookup(
            ikey, per_gpu, count, basis, notes, region, price_region, gpu_key, names.provider_key(provider)
        )

    def _instance_lookup(
        self,
        ikey: str,
        per_gpu: Decimal,
        count: int,
        basis: str,
        notes: list[str],
        region: str | None,
        price_region: str | None,
        gpu_key: str | None,
        provider: Any,
    ) -> PriceLookup:
        """A GPU price read from instance row `ikey`, saying when another region's price stood in."""
        insts = self.table("instances")
        if region and price_region and names.region_key(region) != price_region:
            basis += f"; no price listed for {names.region_key(region)}, {price_region} price used"
        return PriceLookup(
            usd_per_hour=per_gpu * count,
            basis="; ".join([*notes, basis]),
            source=insts.cite(ikey),
            table_version=insts.version,
            as_of=insts.as_of,
            gpu=gpu_key,
            count=count,
            usd_per_gpu_hour=per_gpu,
            instance_type=ikey,
            provider=provider,
            price_region=price_region,
        )

    def _gpu_row_price(
        self, gpu_key: str, count: int, provider: str | None, configured: bool, notes: list[str]
    ) -> PriceLookup:
        """The GPU row's configured or indicative $/GPU-hour, or unpriced with the key to set."""
        gpus = self.table("gpus")
        grow = gpus.rows[gpu_key]
        row_price = to_decimal(grow.get("usd_per_hour"))
        if row_price is None:
            reason = (
                f"no on-demand price for {gpu_key} in {gpus.label} or {self.table('instances').label}; "
                f"set [tool.aiinfralint.pricing.gpus.{gpu_key}] usd_per_hour"
            )
            return PriceLookup(
                None,
                "; ".join([*notes, reason]),
                gpus.cite(gpu_key),
                gpus.version,
                gpus.as_of,
                reason_unpriced=reason,
                gpu=gpu_key,
                count=count,
            )
        how = (
            "configured price"
            if configured
            else f"indicative on-demand price ({grow.get('price_basis', 'see source')})"
        )
        if provider and not configured:
            prov = names.provider_key(provider)
            notes.append(
                f"priced as nearest: no {prov} instance price listed for {gpu_key}, so its indicative price "
                f"(which may be another cloud's) stands in; set [tool.aiinfralint.pricing.gpus.{gpu_key}] "
                f"usd_per_hour for the {prov} rate"
            )
        basis = f"{gpu_key} {how} {fmt_usd(row_price)}/GPU-hour"
        return PriceLookup(
            usd_per_hour=row_price * count,
            basis="; ".join([*notes, basis]),
            source=gpus.cite(gpu_key),
            table_version=gpus.version,
            as_of=gpus.as_of,
            gpu=gpu_key,
            count=count,
            usd_per_gpu_hour=row_price,
            provider=names.provider_key(provider),
        )

    @staticmethod
    def _instance_price(row: Mapping[str, Any], region: str | None) -> tuple[Decimal | None, str | None]:
        price_region = str(row["region"]) if row.get("region") else None
        if region:
            rk = names.region_key(region)
            for r, p in (row.get("region_prices") or {}).items():
                if names.region_key(str(r)) == rk:
                    return to_decimal(p), rk
        return to_decimal(row.get("usd_per_hour")), price_region

    def _cheapest_instance(
        self, gpu_key: str, provider: str | None, region: str | None
    ) -> tuple[str, Decimal, int, Decimal, str | None] | None:
        insts = self.table("instances")
        best: tuple[str, Decimal, int, Decimal, str | None] | None = None
        for ikey, row in insts.rows.items():
            if names.provider_key(row.get("provider")) != provider or not row.get("gpu"):
                continue
            if self.resolve_gpu(str(row["gpu"])) != gpu_key:
                continue
            price, price_region = self._instance_price(row, region)
            if price is None:
                continue
            n = int(row.get("count") or 1)
            per_gpu = price / n
            if best is None or per_gpu < best[1]:
                best = (ikey, per_gpu, n, price, price_region)
        return best

    def gpu_power_watts(self, gpu: str) -> PowerLookup:
        """Board power (TDP) and idle watts per GPU; (None, None, reason) when unknown."""
        found = self._find_gpu(gpu) if gpu else None
        if found is None:
            return PowerLookup(None, None, self._gpu_unknown(gpu))
        key, note = found
        t = self.table("gpus")
        row = t.rows[key]
        src = t.cite(key) + (f" ({note})" if note else "")
        return PowerLookup(to_decimal(row.get("watts")), to_decimal(row.get("idle_watts")), src)

    # -- carbon

    def provider_for_region(self, region: str | None) -> str | None:
        return names.provider_for_region(region)

    def grid_intensity(self, region: str | None, provider: str | None = None) -> GridLookup:
        """Location-based grid intensity (gCO2e/kWh); unknown regions get the world average."""
        t = self.table("grid")
        fallback_key = "any/unknown"
        if region:
            key = self._resolve_grid_key_in(t)(f"{names.provider_key(provider)}/{region}" if provider else region)
            found = to_decimal(t.rows[key].get("g_per_kwh")) if key is not None and key in t.rows else None
            if found is not None:
                return GridLookup(found, f"grid intensity of {key}: {fmt_num(found)} gCO2e/kWh", t.cite(key))
            where = f"{names.provider_key(provider)}/{region}" if provider else region
            if key is not None and key in t.rows:
                reason = f"the {key} row in {t.label} has no g_per_kwh"
            else:
                reason = f"region {where!r} is not in {t.label}"
        else:
            reason = "region unknown"
        g = to_decimal(t.rows[fallback_key]["g_per_kwh"])
        assert g is not None
        return GridLookup(g, f"{reason}: world average {fmt_num(g)} gCO2e/kWh used", t.cite(fallback_key))

    def pue(self, provider: str | None) -> PueLookup:
        t = self.table("pue")
        key = names.provider_key(provider)
        if key and key in t.rows:
            value = to_decimal(t.rows[key]["pue"])
            assert value is not None
            return PueLookup(value, t.cite(key))
        value = to_decimal(t.rows["default"]["pue"])
        assert value is not None
        if "default" not in self.config.pricing.pue:
            self.relied_on("pricing.pue.default", fmt_num(value), "PUE of a data centre whose provider has no figure")
        why = f"provider {provider!r} has no PUE row" if provider else "provider unknown"
        return PueLookup(value, f"{why}; default — {t.cite('default')}")

    # -- workloads

    def gpu_workload(
        self,
        gpu: str | None,
        count: int,
        hours_per_month: Decimal | float,
        *,
        instance_type: str | None = None,
        region: str | None = None,
        provider: str | None = None,
        utilisation: float | None = None,
        family: str | None = None,
        path: str | None = None,
    ) -> Impact:
        """Money, energy and carbon of `count` GPUs busy `hours_per_month` hours a month.

        `family` is an instance family a node selector names (`p5`, `a3`); `path` the manifest,
        for the cloud and region `[cluster]` sets per path when the workload names none.
        $ = price for `count` GPUs × hours. Energy (Cloud Carbon Footprint method):
        count × (idle + u × (TDP − idle)) × hours / 1000 × PUE, or TDP × u when idle is
        unknown. Carbon = kWh × grid gCO2e/kWh / 1000.
        """
        place = self._placement(provider, region, path)
        key = (gpu, count, hours_per_month, instance_type, place, utilisation, family)
        found = self._gpu_memo.get(key)
        if found is None:
            found = self._gpu_memo[key] = self._gpu_workload(
                gpu,
                count,
                hours_per_month,
                instance_type=instance_type,
                place=place,
                utilisation=utilisation,
                family=family,
            )
        return found

    def _placement(self, provider: str | None, region: str | None, path: str | None) -> tuple[Any, ...]:
        """(provider, region, notes): what the manifest says, else `[cluster]` (per path), else `[traffic]`."""
        cloud, cregion, cloud_at, region_at = self.config.cluster.for_path(path)
        notes: list[str] = []
        if region is None and cregion:
            region = cregion
            notes.append(f"region {region} from {region_at} region")
        if provider is None and cloud:
            provider = cloud
            notes.append(f"cloud {cloud} from {cloud_at} cloud")
        if region is None and self.config.traffic.region:
            region = self.config.traffic.region
            notes.append(f"region {region} from [tool.aiinfralint.traffic] region")
        return provider, region, tuple(notes)

    def _gpu_workload(
        self,
        gpu: str | None,
        count: int,
        hours_per_month: Decimal | float,
        *,
        instance_type: str | None,
        place: tuple[Any, ...],
        utilisation: float | None,
        family: str | None,
    ) -> Impact:
        hours = _dec(hours_per_month)
        provider, region, placed = place
        assumptions: list[str] = list(placed)
        sources: list[str] = []
        unpriced: list[Unpriced] = []

        if gpu is None and instance_type is None and family:
            gpu = self._family_gpu(family, provider, assumptions)
        ikey, gpu_name, gpu_key, provider = self._hardware(gpu, instance_type, provider)
        provider = names.provider_key(provider) or names.provider_for_region(region)
        u = self._utilisation(utilisation, assumptions)
        gpu_hours = hours * count
        what = f"{count} × {gpu_key or gpu_name or 'unknown GPU'}"
        if ikey:
            what += f" on {ikey}"
        assumptions.insert(0, f"{what} for {fmt_num(hours)} h/month = {fmt_num(gpu_hours)} GPU-hours")

        # money
        price = self.gpu_price_per_hour(
            gpu_name, instance_type=instance_type, count=count, provider=provider, region=region
        )
        usd: Decimal | None = None
        if price.usd_per_hour is not None:
            usd = price.usd_per_hour * hours
            assumptions.append(f"price: {price.basis}; {fmt_usd(price.usd_per_hour)}/h × {fmt_num(hours)} h")
            sources.append(price.source)
        else:
            unpriced.append(price.missing("cost: "))

        # energy and carbon
        kwh: Decimal | None = None
        kg: Decimal | None = None
        energy = self._gpu_energy(gpu_key, count, hours, u, provider, region) if gpu_key else None
        if energy is None:
            unpriced.append(self._no_gpu_energy(gpu_key, gpu_name, instance_type, ikey))
        else:
            kwh, kg, notes, cited = energy
            assumptions.extend(notes)
            sources.extend(cited)
        return Impact(
            usd_per_month=usd,
            kgco2e_per_month=kg,
            gpu_hours_per_month=gpu_hours,
            kwh_per_month=kwh,
            assumptions=tuple(assumptions),
            sources=tuple(dict.fromkeys(sources)),
            unpriced=tuple(unpriced),
        )

    def _family_gpu(self, family: str, provider: str | None, assumptions: list[str]) -> str | None:
        """The GPU every listed instance of `family` (`p5`, `a3`, `g2`) carries; None when they differ."""
        fam = family.strip().lower()
        gpus: set[str] = set()
        for ikey, row in self.table("instances").rows.items():
            name = ikey.lower()
            if not (name.startswith(fam + ".") or name.startswith(fam + "-")) or not row.get("gpu"):
                continue
            if provider and names.provider_key(row.get("provider")) != names.provider_key(provider):
                continue
            gpus.add(self.resolve_gpu(str(row["gpu"])) or str(row["gpu"]))
        if len(gpus) != 1:
            return None
        gpu = next(iter(gpus))
        label = self.table("instances").label
        assumptions.append(f"GPU {gpu} from instance family {family}: every {family} row in {label} has it")
        return gpu

    def _hardware(
        self, gpu: str | None, instance_type: str | None, provider: str | None
    ) -> tuple[str | None, str | None, str | None, str | None]:
        """(instance row key, GPU name, gpus.yaml key, provider) of a workload's accelerator."""
        ikey = self.resolve_instance(instance_type) if instance_type else None
        inst_row = self.table("instances").rows[ikey] if ikey is not None else None
        if inst_row is not None:
            provider = provider or inst_row.get("provider")
        gpu_name = gpu or (str(inst_row["gpu"]) if inst_row and inst_row.get("gpu") else None)
        gpu_key = self.resolve_gpu(gpu_name) if gpu_name else None
        return ikey, gpu_name, gpu_key, provider

    def _no_gpu_energy(
        self, gpu_key: str | None, gpu_name: str | None, instance_type: str | None, ikey: str | None
    ) -> Unpriced:
        """Why a GPU workload has no energy figure: the GPU is unknown, or its row has no board power."""
        if gpu_key is not None:
            return Unpriced("kgco2e", f"energy and carbon: no board power for {gpu_key} in {self.table('gpus').label}")
        why = self._gpu_unknown(gpu_name)
        if instance_type and ikey is None and not gpu_name:
            why = (
                f"GPU model unknown: instance type {instance_type!r} is not in "
                f"{self.table('instances').label} and nothing else names an accelerator"
            )
        return Unpriced("kgco2e", f"energy and carbon: {why}")

    def _utilisation(self, utilisation: float | None, assumptions: list[str]) -> Decimal:
        """The GPU utilisation an energy estimate uses: the workload's, else the configured default."""
        if utilisation is not None:
            u = _dec(utilisation)
            assumptions.append(f"GPU utilisation {fmt_num(u * 100)}%")
            return u
        traffic = self.config.traffic
        u = _dec(traffic.gpu_utilisation)
        if "gpu_utilisation" in traffic.model_fields_set:
            u_note = "configured default"
        else:
            u_note = "default"
            self.relied_on(
                "traffic.gpu-utilisation", f"{fmt_num(u * 100)}%", "GPU utilisation of a workload that states none"
            )
        assumptions.append(f"GPU utilisation {fmt_num(u * 100)}% ({u_note}; not stated by the workload)")
        return u

    def _gpu_energy(
        self, gpu_key: str, count: int, hours: Decimal, u: Decimal, provider: str | None, region: str | None
    ) -> tuple[Decimal, Decimal, list[str], list[str]] | None:
        """(kWh, kgCO2e, assumptions, sources) of `count` GPUs for `hours`; None without board power."""
        watts, idle, psrc = self.gpu_power_watts(gpu_key)
        if watts is None:
            return None
        notes: list[str] = []
        if idle is not None:
            avg_w = idle + u * (watts - idle)
            notes.append(
                f"power per GPU {fmt_num(idle)} W idle + {fmt_num(u * 100)}% × ({fmt_num(watts)} − "
                f"{fmt_num(idle)}) W = {fmt_num(avg_w)} W"
            )
        else:
            avg_w = watts * u
            notes.append(
                f"power per GPU {fmt_num(watts)} W board power × {fmt_num(u * 100)}% = {fmt_num(avg_w)} W "
                f"(idle power unknown)"
            )
        pue, pue_src = self.pue(provider)
        kwh = Decimal(count) * avg_w * hours / 1000 * pue
        notes.append(f"PUE {fmt_num(pue)} ({provider or 'provider unknown'}); energy {fmt_num(kwh, 1)} kWh/month")
        grid = self.grid_intensity(region, provider)
        if region is None:
            self.relied_on(
                "cluster.region",
                f"world average, {fmt_num(grid.g_per_kwh)} gCO2e/kWh",
                "grid of GPU workloads whose region nothing names: set it, a [tool.aiinfralint.cluster.per-path] "
                "entry, or a topology.kubernetes.io/region node selector",
            )
        elif grid.source == self.table("grid").cite("any/unknown"):
            self.relied_on(
                "pricing.grid",
                f"world average, {fmt_num(grid.g_per_kwh)} gCO2e/kWh, for {region}",
                "grid of a region the grid table does not list: add a row keyed provider/region with g_per_kwh",
            )
        notes.append(grid.basis)
        return kwh, kwh * grid.g_per_kwh / 1000, notes, [psrc, pue_src, grid.source]

    # -- tokens

    def token_cost(
        self,
        model: str,
        *,
        input_tokens: float | Decimal = 0,
        cached_input_tokens: float | Decimal = 0,
        cache_write_tokens: float | Decimal = 0,
        output_tokens: float | Decimal = 0,
        cache_ttl: str = "5m",
        cache_write_1h_tokens: float | Decimal = 0,
    ) -> CostLookup:
        """The bill for the given token counts (uncached input, cache reads, cache writes, output).

        `cache_write_tokens` are written with `cache_ttl`; `cache_write_1h_tokens` with a 1-hour
        lifetime (a prompt whose breakpoints carry both).
        """
        t = self.table("models")
        prices = self.model_prices(model)
        if prices is None:
            reason = self._model_unknown(model)
            return CostLookup(None, reason, (t.label,), reason, None, t.version, t.as_of)
        parts: list[str] = [self._match_note(model, prices)]
        total = Decimal(0)
        missing: list[str] = []

        def add(
            tokens: float | Decimal,
            price: Decimal | None,
            label: str,
            fallback: tuple[Decimal | None, str] | None = None,
        ) -> None:
            nonlocal total
            if not tokens:
                return
            n = _dec(tokens)
            if price is None and fallback is not None and fallback[0] is not None:
                price, why = fallback
                label = f"{label} ({why})"
            if price is None:
                missing.append(f"{prices.key} has no {label} price in {t.label}")
                return
            total += n * price / MILLION
            parts.append(f"{fmt_num(n)} {label} tokens × {fmt_usd(price)}/1M")

        as_input = (prices.input, "no write fee listed; billed as input")
        write = prices.cache_write_1h if cache_ttl == "1h" else prices.cache_write_5m
        for tokens, price, label, fallback in (
            (input_tokens, prices.input, "input", None),
            (
                cached_input_tokens,
                prices.cached_input,
                "cached input",
                (prices.input, "no cached price listed; billed as input"),
            ),
            (cache_write_tokens, write, f"cache write ({cache_ttl})", as_input),
            (cache_write_1h_tokens, prices.cache_write_1h, "cache write (1h)", as_input),
        ):
            add(tokens, price, label, fallback)
        add(output_tokens, prices.output, "output")
        if missing:
            reason = "; ".join(missing)
            return CostLookup(
                None, "; ".join([*parts, reason]), (prices.source,), reason, prices.key, t.version, t.as_of
            )
        return CostLookup(total, "; ".join(parts), (prices.source,), None, prices.key, t.version, t.as_of)

    def prefix_cache_loss(
        self,
        model: str,
        tokens_lost: int,
        calls_per_day: float | None = None,
        days: int = DAYS_PER_MONTH,
    ) -> Impact:
        """What a busted prompt-cache prefix costs a month:
        tokens × calls/day × (input price − cached input price) × days."""
        t = self.table("models")
        assumptions: list[str] = []
        if calls_per_day is None:
            calls_per_day = self.default_calls_per_day()
            assumptions.append(
                f"{fmt_num(calls_per_day)} calls/day (default traffic; set "
                f"[tool.aiinfralint.traffic] calls_per_day or prompts)"
            )
        else:
            assumptions.append(f"{fmt_num(calls_per_day)} calls/day")
        tokens_month = _dec(tokens_lost) * _dec(calls_per_day) * days
        assumptions.insert(0, f"{fmt_num(tokens_lost)} prefix tokens re-billed as uncached input on every call")
        assumptions.append(f"{days} days/month → {fmt_num(tokens_month)} tokens/month")
        prices = self.model_prices(model)
        if prices is None:
            return Impact(
                tokens=int(tokens_lost),
                assumptions=tuple(assumptions),
                sources=(t.label,),
                unpriced=(Unpriced("usd", self._model_unknown(model)),),
            )
        if prices.input is None or prices.cached_input is None:
            missing = "input" if prices.input is None else "cached-input"
            return Impact(
                tokens=int(tokens_lost),
                assumptions=tuple(assumptions),
                sources=(prices.source,),
                unpriced=(
                    Unpriced(
                        "usd",
                        f"{prices.key} has no {missing} price in {t.label} (the provider may not discount cached input)",
                    ),
                ),
            )
        delta = prices.input - prices.cached_input
        usd = tokens_month * delta / MILLION
        assumptions.append(
            f"{self._match_note(model, prices)}: input {fmt_usd(prices.input)}/1M − cached "
            f"{fmt_usd(prices.cached_input)}/1M = {fmt_usd(delta)}/1M"
        )
        if prices.cache_write_5m is not None and prices.input and prices.cache_write_5m > prices.input:
            assumptions.append(
                f"with explicit cache breakpoints each miss also pays a cache write "
                f"({fmt_usd(prices.cache_write_5m)}/1M), not counted here"
            )
        return Impact(
            usd_per_month=usd, tokens=int(tokens_lost), assumptions=tuple(assumptions), sources=(prices.source,)
        )

    def prefix_miss_loss(
        self,
        model: str,
        tokens_lost: int,
        misses_per_day: float,
        *,
        write_ttl: str | None = None,
        days: int = DAYS_PER_MONTH,
    ) -> Impact:
        """What extra prompt-cache misses cost a month:
        misses/day × days × tokens × (price of a miss − cached-input price).

        A miss is billed as a cache write where the model lists a write price (Anthropic,
        GPT-5.6 and later) and as uncached input otherwise.
        """
        t = self.table("models")
        tokens_month = _dec(tokens_lost) * _dec(misses_per_day) * days
        assumptions = [f"{days} days/month → {fmt_num(tokens_month)} re-billed tokens/month"]
        prices = self.model_prices(model)
        if prices is None:
            why = Unpriced("usd", self._model_unknown(model))
            return Impact(assumptions=tuple(assumptions), sources=(t.label,), unpriced=(why,))
        write = prices.cache_write_1h if write_ttl == "1h" else prices.cache_write_5m
        miss, miss_label = (
            (write, f"cache write ({write_ttl or '5m'})") if write is not None else (prices.input, "input")
        )
        if miss is None or prices.cached_input is None:
            lacks = "input" if miss is None else "cached-input"
            why = Unpriced("usd", f"{prices.key} has no {lacks} price in {t.label}")
            return Impact(assumptions=tuple(assumptions), sources=(prices.source,), unpriced=(why,))
        delta = miss - prices.cached_input
        assumptions.append(
            f"{self._match_note(model, prices)}: {miss_label} {fmt_usd(miss)}/1M − cached "
            f"{fmt_usd(prices.cached_input)}/1M = {fmt_usd(delta)}/1M per missed token"
        )
        return Impact(
            usd_per_month=tokens_month * delta / MILLION, assumptions=tuple(assumptions), sources=(prices.source,)
        )

    def prefix_cost(
        self,
        model: str,
        cached_tokens: int,
        uncached_tokens: int,
        calls_per_day: float,
        days: int = DAYS_PER_MONTH,
        *,
        written: Mapping[str, int] | None = None,
    ) -> Impact:
        """What a prompt's static prefix costs a month when every call sends it:
        calls/day × days × (cached tokens × cached-input price + uncached tokens × input price
        + written tokens × cache-write price of their TTL).

        `written` (TTL → tokens) are uncached tokens that every call writes to the cache again
        (they sit before an explicit breakpoint, or the provider charges every write): a miss
        is billed as a cache write there, as the cache findings price it. The writes of a warm
        prefix are not counted: with steady traffic it is written once per TTL window, which is
        negligible next to the reads.
        """
        writes = {ttl: n for ttl, n in (written or {}).items() if n}
        calls = _dec(calls_per_day)
        month_calls = calls * days
        assumptions = [f"{fmt_num(calls)} calls/day × {days} days = {fmt_num(month_calls)} calls/month"]
        if cached_tokens:
            assumptions.append(
                f"{fmt_num(cached_tokens)} prefix tokens read from the prompt cache on every call "
                f"(steady traffic keeps it warm; cache writes not counted)"
            )
        if uncached_tokens:
            assumptions.append(f"{fmt_num(uncached_tokens)} static tokens billed as uncached input on every call")
        for ttl, n in sorted(writes.items()):
            assumptions.append(
                f"{fmt_num(n)} static tokens missed and written to the cache again on every call "
                f"(before a cache breakpoint): billed as cache writes ({ttl})"
            )
        cost = self.token_cost(
            model,
            cached_input_tokens=cached_tokens * month_calls,
            input_tokens=uncached_tokens * month_calls,
            cache_write_tokens=writes.get("5m", 0) * month_calls,
            cache_write_1h_tokens=writes.get("1h", 0) * month_calls,
        )
        tokens = int(cached_tokens) + int(uncached_tokens) + sum(writes.values())
        if cost.usd is None:
            return Impact(
                tokens=tokens,
                assumptions=tuple(assumptions),
                sources=cost.sources,
                unpriced=(cost.missing("cost: "),),
            )
        assumptions.append(cost.basis)
        return Impact(usd_per_month=cost.usd, tokens=tokens, assumptions=tuple(assumptions), sources=cost.sources)

    # -- energy of hosted model APIs

    def request_energy(
        self,
        model: str,
        requests_per_month: Decimal | float,
        *,
        region: str | None = None,
        provider: str | None = None,
    ) -> Impact:
        """Energy and carbon of `requests_per_month` calls to a hosted model API.

        kWh = requests × the vendor's disclosed Wh per request / 1000 (× PUE unless the figure
        already includes facility overhead); kgCO2e = kWh × grid intensity of the region.
        """
        t = self.table("inference_energy")
        prices = self.model_prices(model)
        vendor = (prices.provider if prices else None) or names.provider_for_model(model)
        rows = {k.lower(): k for k in t.rows}
        requests = _dec(requests_per_month)
        assumptions: list[str] = []
        if vendor is None or vendor.lower() not in rows:
            who = f"vendor {vendor!r}" if vendor else f"the vendor of {model!r}"
            cause = f"{who} publishes no energy per request in {t.label}"
            fix = f"set [tool.aiinfralint.pricing.inference_energy.{vendor or 'VENDOR'}] wh_per_request"
            why = Unpriced("kgco2e", f"energy and carbon: {cause}; {fix}", cause)
            return Impact(sources=(t.label,), unpriced=(why,))
        key = rows[vendor.lower()]
        row = t.rows[key]
        wh = to_decimal(row.get("wh_per_request"))
        if wh is None:
            cause = f"{key} row has no wh_per_request in {t.label}"
            return Impact(
                sources=(t.cite(key),),
                unpriced=(Unpriced("kgco2e", f"energy and carbon: {cause}", cause),),
            )
        kwh = requests * wh / 1000
        assumptions.append(
            f"{fmt_num(requests)} requests/month × {fmt_num(wh)} Wh/request ({key}'s disclosed figure for a typical "
            f"chat prompt, not scaled by token counts) = {fmt_num(kwh, 1)} kWh"
        )
        sources = [t.cite(key)]
        cloud = _api_cloud(provider, region)
        overhead = row.get("includes_overhead")
        if overhead is True or str(overhead).lower() == "true":
            assumptions.append("the figure includes data-centre overhead: no PUE applied")
        else:
            pue, pue_src = self.pue(cloud)
            kwh = kwh * pue
            assumptions.append(f"× PUE {fmt_num(pue)} ({cloud or 'provider unknown'}) = {fmt_num(kwh, 1)} kWh/month")
            sources.append(pue_src)
        grid = self.grid_intensity(region, cloud if region and "/" not in region else None)
        kg = kwh * grid.g_per_kwh / 1000
        assumptions.append(grid.basis)
        sources.append(grid.source)
        return Impact(
            kgco2e_per_month=kg,
            kwh_per_month=kwh,
            assumptions=tuple(assumptions),
            sources=tuple(dict.fromkeys(sources)),
        )

    # -- prompt-cache rules

    def cache_rule(self, model: str) -> CacheRule:
        """Minimum tokens, TTL and price multipliers for the model's prompt cache."""
        t = self.table("cache_rules")
        prices = self.model_prices(model)
        provider = prices.provider if prices else names.provider_for_model(model)
        rows = t.rows
        # per-model rows are keyed by model family; try the same spellings as prices
        for candidate, _ in names.model_candidates(model):
            for key in (candidate, prices.key if prices else None):
                if key and key in rows and rows[key].get("provider"):
                    # a model row states its minimum; the rest comes from its provider's row
                    base = rows.get(str(rows[key]["provider"]), {})
                    return self._cache_rule_from(t, key, {**base, **rows[key]})
        if provider and provider in rows:
            return self._cache_rule_from(t, provider, rows[provider])
        return CacheRule(
            provider, None, None, None, None, None, None, f"no prompt-cache rule for {model!r} in {t.label}"
        )

    @staticmethod
    def _cache_rule_from(t: Table, key: str, row: Mapping[str, Any]) -> CacheRule:
        mt = row.get("min_tokens")
        return CacheRule(
            provider=str(row.get("provider", key)),
            min_tokens=int(mt) if mt is not None else None,
            ttl=str(row["ttl"]) if row.get("ttl") is not None else None,
            write_multiplier=to_decimal(row.get("write_multiplier")),
            write_multiplier_1h=to_decimal(row.get("write_multiplier_1h")),
            read_multiplier=to_decimal(row.get("read_multiplier")),
            granularity=str(row["granularity"]) if row.get("granularity") is not None else None,
            source=t.cite(key),
            caching=str(row["caching"]) if row.get("caching") is not None else None,
            priced=row.get("priced") is not False,
            warm_rewrites_per_day=int(row.get("warm_rewrites_per_day") or 1),
            note=str(row["note"]) if row.get("note") is not None else None,
        )

    def default_model(self, provider: str) -> str | None:
        """The model a prompt of `provider` is priced as when it names none (cache_rules.yaml)."""
        row = self.table("cache_rules").rows.get(provider.lower())
        value = row.get("default_model") if row else None
        return str(value) if value else None

    def cache_minimum(self, model: str) -> CacheMinimum:
        """Smallest prefix the provider caches for this model (None when not known)."""
        rule = self.cache_rule(model)
        return CacheMinimum(rule.min_tokens, rule.provider, rule.source)


def _api_cloud(provider: str | None, region: str | None) -> str | None:
    """The cloud hosting a model API: the provider's, or the region's when the provider is a model vendor."""
    cloud = names.provider_key(provider) if provider else None
    cloud = {
        "vertex_ai": "gcp",
        "vertex-ai": "gcp",
        "gemini": "gcp",
        "bedrock": "aws",
        "azure-openai": "azure",
    }.get(cloud or "", cloud)
    if cloud not in ("aws", "gcp", "azure"):
        cloud = names.provider_for_region(region)
    return cloud


# --- totals -------------------------------------------------------------------------------


def _sum(values: Iterable[Any]) -> Any:
    present = [v for v in values if v is not None]
    if not present:
        return None
    total = present[0]
    for v in present[1:]:
        total = total + v
    return total


def combine(impacts: Iterable[Impact | None]) -> Impact:
    """Sum of the figures that are known; assumptions, sources and unpriced reasons unioned."""
    items = [i for i in impacts if i is not None]

    def union(attr: str) -> tuple[Any, ...]:
        return tuple(dict.fromkeys(x for i in items for x in getattr(i, attr)))

    return Impact(
        usd_per_month=_sum(i.usd_per_month for i in items),
        kgco2e_per_month=_sum(i.kgco2e_per_month for i in items),
        latency_ms=_sum(i.latency_ms for i in items),
        tokens=_sum(i.tokens for i in items),
        gpu_hours_per_month=_sum(i.gpu_hours_per_month for i in items),
        kwh_per_month=_sum(i.kwh_per_month for i in items),
        assumptions=union("assumptions"),
        sources=union("sources"),
        unpriced=union("unpriced"),
    )
