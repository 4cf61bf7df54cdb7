"""--diff reports the spend and carbon delta of the inventories of base and head (`cost` on each side)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from aiinfralint.cli import main

ROOT = Path(__file__).resolve().parent.parent
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: chat
  namespace: ml
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: chat}}}}
  template:
    metadata: {{labels: {{app: chat}}}}
    spec:
      nodeSelector:
        cloud.google.com/gke-accelerator: nvidia-tesla-a100
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.6.3
          resources:
            limits: {{nvidia.com/gpu: 1}}
"""


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=ci@example.com", "-c", "user.name=CI", "-c", "commit.gpgsign=false", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def _json(capsys, *args: str) -> dict:
    main([*args, "--format", "json", "--no-cache"])
    return json.loads(capsys.readouterr().out)


def _cost_items(capsys, path: Path) -> dict[str, dict]:
    return {i["name"]: i for i in _json(capsys, "cost", str(path))["items"]}


def _diff(capsys, repo: Path) -> dict:
    return _json(capsys, "check", "--diff", "HEAD", "--fail-on", "never", str(repo))["diff"]


def _price_per_gpu_hour(item: dict) -> Decimal:
    [price] = [a for a in item["estimate"]["assumptions"] if a.startswith("price:")]
    return Decimal(re.search(r"= \$([\d.]+)/GPU-hour", price).group(1))


@pytest.fixture
def demo(tmp_path, monkeypatch) -> Path:
    repo = tmp_path / "demo"
    shutil.copytree(ROOT / "demo-platform", repo)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    monkeypatch.chdir(repo)
    return repo


@needs_git
def test_cronjob_8_to_16_gpus_moves_spend_by_the_inventory_change(demo, capsys):
    job = demo / "k8s" / "nightly-finetune.yaml"
    before = _cost_items(capsys, demo)["CronJob ml/nightly-finetune"]
    job.write_text(job.read_text().replace("nvidia.com/gpu: 8", "nvidia.com/gpu: 16"), encoding="utf-8")
    after = _cost_items(capsys, demo)["CronJob ml/nightly-finetune"]
    # by hand: "0 2 * * *" is 30 runs × 4 h (no deadline) = 120 h; 8 GPUs → 960 GPU-hours, 16 → 1,920
    assert (before["gpu_hours_per_month"], after["gpu_hours_per_month"]) == (960.0, 1920.0)
    price = _price_per_gpu_hour(before)  # $3.67 on the shipped a2-highgpu-1g row: $3,523.20 → $7,046.40
    assert Decimal(str(before["usd_per_month"])) == 960 * price
    assert Decimal(str(after["usd_per_month"])) == 1920 * price
    diff = _diff(capsys, demo)
    [change] = diff["spend"]
    assert (change["object"], change["status"]) == ("CronJob ml/nightly-finetune", "changed")
    assert change["usd_per_month"] == {
        "base": before["usd_per_month"],
        "head": after["usd_per_month"],
        "delta": round(after["usd_per_month"] - before["usd_per_month"], 2),
    }
    assert change["kgco2e_per_month"]["base"] == before["kgco2e_per_month"]
    assert change["kgco2e_per_month"]["head"] == after["kgco2e_per_month"]
    # the total delta is the inventory's, not the sum of AIL201, AIL202 and AIL501 on the same GPUs
    assert diff["usd_per_month"]["delta"] == change["usd_per_month"]["delta"]
    assert diff["kgco2e_per_month"]["delta"] == pytest.approx(
        after["kgco2e_per_month"] - before["kgco2e_per_month"], abs=0.002
    )
    assert diff["counts"]["added"] == 0 and diff["spend_basis"].startswith("spend: the cost inventories")


@needs_git
@pytest.mark.parametrize(("before", "after"), [(1, 4), (4, 8)])
def test_deployment_replicas_move_spend(tmp_path, monkeypatch, capsys, before, after):
    repo = tmp_path / "proj"
    repo.mkdir()
    manifest = repo / "chat.yaml"
    manifest.write_text(DEPLOYMENT.format(replicas=before), encoding="utf-8")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    monkeypatch.chdir(repo)
    base_item = _cost_items(capsys, repo)["Deployment ml/chat"]
    manifest.write_text(DEPLOYMENT.format(replicas=after), encoding="utf-8")
    head_item = _cost_items(capsys, repo)["Deployment ml/chat"]
    price = _price_per_gpu_hour(base_item)
    # by hand: replicas × 1 GPU × 730 h × $/GPU-hour
    assert Decimal(str(base_item["usd_per_month"])) == before * 730 * price
    assert Decimal(str(head_item["usd_per_month"])) == after * 730 * price
    diff = _diff(capsys, repo)
    expected = float((after - before) * 730 * price)
    assert diff["usd_per_month"]["delta"] == expected != 0
    [change] = diff["spend"]
    assert change["usd_per_month"]["delta"] == expected
    assert change["basis"] == {
        "base": f"serving: {before} replica{'s' if before != 1 else ''} × 1 GPU × 730 h",
        "head": f"serving: {after} replicas × 1 GPU × 730 h",
    }
    # the same figures in the text summary
    main(["check", "--diff", "HEAD", "--fail-on", "never", "--no-cache", "--no-progress", str(repo)])
    text = capsys.readouterr().out
    assert f"(+${expected:,.2f}/month)" in text and "±$0.00/month" not in text
    assert f"changed Deployment ml/chat (chat.yaml): ${base_item['usd_per_month']:,.2f} → " in text


@needs_git
def test_markdown_and_sarif_carry_the_spend_delta(demo, capsys):
    job = demo / "k8s" / "nightly-finetune.yaml"
    job.write_text(job.read_text().replace("nvidia.com/gpu: 8", "nvidia.com/gpu: 16"), encoding="utf-8")
    md = demo / "comment.md"
    main(
        [
            "check",
            "--diff",
            "HEAD",
            "--fail-on",
            "never",
            "--no-cache",
            "--output-format",
            f"markdown:{md}",
            "--format",
            "sarif",
            ".",
        ]
    )
    sarif = json.loads(capsys.readouterr().out)
    [change] = sarif["runs"][0]["properties"]["diff"]["spend"]
    assert change["object"] == "CronJob ml/nightly-finetune" and change["usd_per_month"]["delta"] > 0
    text = md.read_text(encoding="utf-8")
    delta = f"**+${change['usd_per_month']['delta']:,.2f}**"
    assert "| CronJob ml/nightly-finetune | `k8s/nightly-finetune.yaml` |" in text and delta in text


@needs_git
def test_one_prompt_through_check_cost_and_diff(demo, capsys):
    """The prompt's tokens and $ agree in check (finding), cost (inventory) and --diff (spend change)."""
    prompt = demo / "prompts" / "support_system.j2"
    rel = "prompts/support_system.j2"
    before = next(i for i in _json(capsys, "cost", str(demo))["items"] if i["path"].endswith(rel))
    findings = [
        f
        for f in _json(capsys, "check", "--fail-on", "never", str(demo))["findings"]
        if f["path"].endswith(rel) and f["code"] == "AIL101"
    ]
    assert findings and all(f["impact"]["tokens"] == before["estimate"]["tokens"] for f in findings)
    prompt.write_text(prompt.read_text() + "\nAlways answer in the customer's language.\n", encoding="utf-8")
    after = next(i for i in _json(capsys, "cost", str(demo))["items"] if i["path"].endswith(rel))
    assert after["estimate"]["tokens"] > before["estimate"]["tokens"]
    diff = _diff(capsys, demo)
    [change] = [c for c in diff["spend"] if c["object"].endswith("support_system.j2") or rel in c.get("path", "")]
    assert change["usd_per_month"] == {
        "base": before["usd_per_month"],
        "head": after["usd_per_month"],
        "delta": round(after["usd_per_month"] - before["usd_per_month"], 2),
    }
