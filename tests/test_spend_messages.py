"""A finding's message quotes only figures present in its impact ($, kgCO2e and kWh)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from aiinfralint.cli import main

ROOT = Path(__file__).resolve().parent.parent
FIGURE = re.compile(r"\$([\d,]+(?:\.\d+)?)|([\d,]+(?:\.\d+)?) (kgCO2e|kWh)")
FIELDS = {"$": "usd_per_month", "kgCO2e": "kgco2e_per_month", "kWh": "kwh_per_month"}


def unbacked(finding: dict) -> list[str]:
    """The $, kgCO2e and kWh figures of a message that its impact does not hold (to the shown precision)."""
    impact = finding["impact"] or {}
    text = " ".join([*impact.get("assumptions", []), *impact.get("unpriced", [])])
    out = []
    for m in FIGURE.finditer(finding["message"]):
        number = m.group(1) or m.group(2)
        unit = "$" if m.group(1) else m.group(3)
        value = Decimal(number.replace(",", ""))
        held = impact.get(FIELDS[unit])
        step = Decimal(1).scaleb(min(int(value.as_tuple().exponent), 0))  # the last digit shown
        if held is not None and abs(Decimal(str(held)) - value) <= step:
            continue
        if number in text:  # stated in an assumption
            continue
        out.append(m.group(0))
    return out


@pytest.mark.parametrize("path", ["demo-platform", "fixtures"])
def test_every_message_figure_is_in_the_impact(capsys, path):
    main(["check", str(ROOT / path), "--format", "json", "--no-cache", "--fail-on", "never"])
    findings = json.loads(capsys.readouterr().out)["findings"]
    bad = {f"{f['code']} {f['object']}": unbacked(f) for f in findings if unbacked(f)}
    assert bad == {}


def test_ail501_quotes_no_bill_it_does_not_carry(tmp_path, capsys):
    # the demo's chat-inference Deployment: the message used to say "$5,358/month" with usd_per_month null
    main(["check", str(ROOT / "demo-platform"), "--select", "AIL501", "--format", "json", "--no-cache"])
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert findings and all("$" not in f["message"] for f in findings)
    chat = next(f for f in findings if f["object"] == "Deployment ml/chat-inference")
    assert chat["impact"]["usd_per_month"] is None
    assert chat["impact"]["assumptions"][0] == chat["message"].rsplit(" for ", 1)[1].rstrip(".")


def test_ail501_feature_states_its_cost_as_an_assumption(tmp_path, capsys):
    from aiinfralint.rules.carbon.missing_carbon_line_item import _BAD_FEATURE

    (tmp_path / "features.yaml").write_text(_BAD_FEATURE, encoding="utf-8")
    main(["check", str(tmp_path), "--select", "AIL501", "--format", "json", "--no-cache"])
    [f] = json.loads(capsys.readouterr().out)["findings"]
    assert "$14,200" not in f["message"] and unbacked(f) == []
    assert "the feature states a cost of $14,200/month" in f["impact"]["assumptions"]
