#!/usr/bin/env python3
"""Side-by-side benchmark: aiinfralint (cold and warm) against checkov and yamllint.

    python bench/run.py                      # N=500, 5 runs, peers, corpus, memory at 100/500/2000
    python bench/run.py --n 2000 --runs 3
    python bench/run.py --no-peers --memory-sizes ""

What it does, in one run:

1. generates N synthetic files (each two YAML documents: a vLLM Deployment with one GPU
   and a nightly CronJob with eight, about 1 KB) under ``$TMPDIR/aiinfralint-bench/synthetic-N/``
   (``AIINFRALINT_BENCH_DIR`` to change it; outside the repository, where .gitignore would hide them);
2. installs the peers into ``bench/.venv`` if they are missing (``pip install checkov
   yamllint``); a peer that cannot be installed is skipped with a note;
3. times, R times each, and prints the median wall clock and the peak memory:
   ``aiinfralint check`` cold (``--no-cache``), warm (cache primed: an unchanged tree replays
   the stored report), warm with one file edited before each run (parse cache for the other
   files, every rule again; synthetic tree only), ``checkov -d DIR
   --framework kubernetes -o json`` and ``yamllint -d relaxed``, with ratios;
4. does the same on ``../shared/corpus`` when it exists;
5. times a cold check of the corpus's Python files against ``ast.parse`` alone
   (``bench/python_ratio.py``);
6. times a one-file run (what a pre-commit hook does), cold and warm;
7. records aiinfralint's peak memory at N = 100, 500, 2000 to show it stays flat.

Every tool runs once untimed first, with bytecode caching on (``PYTHONPYCACHEPREFIX``
under ``bench/out/``), as it would on a developer machine or a CI runner with a warm pip
cache. Peak memory is the largest resident set of any one process of the run (from
``wait4``), so pool workers are covered without being summed. Results are also written to
``bench/out/results.json``. Nothing here touches the network except the peers' pip install.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import python_ratio  # bench/python_ratio.py: this script's own directory is on sys.path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out"
# the generated trees live outside the repository: inside it they would be .gitignored
# (bench/out/ is), and aiinfralint, like ruff, skips ignored files
WORK = Path(os.environ.get("AIINFRALINT_BENCH_DIR") or Path(tempfile.gettempdir()) / "aiinfralint-bench")
PEER_VENV = HERE / ".venv"
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
EXTRA_ARGS: list[str] = []  # --ail-args: extra arguments for every aiinfralint check

TEMPLATE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: chat-{i}
  namespace: team-{t}
  labels:
    app.kubernetes.io/name: chat-{i}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: chat-{i}
  template:
    metadata:
      labels:
        app: chat-{i}
    spec:
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.6.3
          args: ["--model", "meta-llama/Llama-3.1-8B-Instruct", "--port", "8000"]
          ports:
            - containerPort: 8000
          resources:
            limits:
              nvidia.com/gpu: 1
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly-finetune-{i}
  namespace: team-{t}
spec:
  schedule: "0 2 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: train
              image: pytorch/pytorch:2.4.0-cuda12.1-cudnn9-runtime
              command: ["torchrun", "--nproc-per-node", "8", "train.py"]
              resources:
                limits:
                  nvidia.com/gpu: 8
"""


def generate(n: int) -> Path:
    target = WORK / f"synthetic-{n}"
    if target.is_dir() and len(list(target.glob("*.yaml"))) == n:
        return target
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for i in range(n):
        # one team (namespace) per 25 files, as a real multi-team repository would have
        (target / f"gpu-{i:05d}.yaml").write_text(TEMPLATE.format(i=i, t=i // 25), encoding="utf-8")
    return target


# --- running and measuring ----------------------------------------------------------------


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(OUT / "pycache")
    env.pop("AIINFRALINT_NO_CACHE", None)
    env["NO_COLOR"] = "1"
    # checkov: no update check, no platform calls
    env.setdefault("CHECKOV_SKIP_VERSION_CHECK", "true")
    env.setdefault("BC_SKIP_MAPPING", "TRUE")
    if extra:
        env.update(extra)
    return env


def measure(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int, int]:
    """(wall seconds, peak RSS in MiB of the largest process, exit code)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        sys.stderr.write(
            f"warning: {' '.join(cmd[:3])} exited {proc.returncode}: {err[-500:].decode(errors='replace')}\n"
        )
    return wall, usage.ru_maxrss // 1024, proc.returncode


def timed(label: str, cmd: list[str], cwd: Path, runs: int, env: dict[str, str], prepare=None) -> dict:  # type: ignore[no-untyped-def]
    if prepare:
        prepare()
    measure(cmd, cwd, env)  # untimed: bytecode, OS file cache
    walls, peaks = [], []
    for _ in range(runs):
        if prepare:
            prepare()
        wall, peak, _rc = measure(cmd, cwd, env)
        walls.append(wall)
        peaks.append(peak)
    row = {
        "label": label,
        "median_s": statistics.median(walls),
        "min_s": min(walls),
        "max_s": max(walls),
        "peak_mib": max(peaks),
        "runs": runs,
    }
    print(
        f"  {label:<34} median {row['median_s']:7.3f} s  (min {row['min_s']:.3f}, max {row['max_s']:.3f})  "
        f"peak {row['peak_mib']:5d} MiB",
        flush=True,
    )
    return row


# --- the tools ----------------------------------------------------------------------------


def aiinfralint_bin() -> list[str]:
    exe = Path(sys.executable).parent / "aiinfralint"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "aiinfralint"]


def ensure_peers(skip: bool) -> dict[str, list[str] | str]:
    """Tool -> command prefix, or a note why it is skipped."""
    peers: dict[str, list[str] | str] = {}
    if skip:
        return {"checkov": "skipped (--no-peers)", "yamllint": "skipped (--no-peers)"}
    bindir = PEER_VENV / "bin"
    missing = [t for t in ("checkov", "yamllint") if not (bindir / t).exists()]
    if missing:
        print(f"installing {', '.join(missing)} into {PEER_VENV} ...", flush=True)
        try:
            if not (bindir / "pip").exists():
                subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
            subprocess.run([str(bindir / "pip"), "install", "-q", *missing], check=True, timeout=1800)
        except (subprocess.SubprocessError, OSError) as exc:
            print(f"  could not install peers: {exc}", flush=True)
    for tool in ("checkov", "yamllint"):
        exe = bindir / tool
        peers[tool] = [str(exe)] if exe.exists() else f"skipped: {tool} could not be installed into {PEER_VENV}"
    return peers


def version_of(cmd: list[str]) -> str:
    try:
        out = subprocess.run([*cmd, "--version"], capture_output=True, text=True, timeout=120, env=_env())
    except (OSError, subprocess.SubprocessError):
        return "?"
    return (out.stdout or out.stderr).strip().splitlines()[-1] if (out.stdout or out.stderr).strip() else "?"


def bench_tree(name: str, tree: Path, runs: int, jobs: int | None, peers: dict, editable: bool = False) -> dict:  # type: ignore[type-arg]
    print(f"\n{name}: {tree}", flush=True)
    cache_dir = OUT / "cache" / name
    ail = aiinfralint_bin()
    common = ["check", str(tree), "--format", "json", "--fail-on", "never", "--no-progress", *EXTRA_ARGS]
    if jobs:
        common += ["--jobs", str(jobs)]
    env = _env({"AIINFRALINT_CACHE_DIR": str(cache_dir)})
    # what the run found, so a broken setup (0 files checked) cannot pass for a fast one
    proc = subprocess.run([*ail, *common, "--no-cache"], cwd=OUT, env=env, capture_output=True, text=True)
    summary = json.loads(proc.stdout)["summary"] if proc.stdout.strip().startswith("{") else {}
    print(
        f"  aiinfralint: {summary.get('files_scanned', '?')} files scanned, {summary.get('files_checked', '?')} checked, "
        f"{summary.get('objects', '?')} objects, findings {summary.get('by_code', '?')}",
        flush=True,
    )
    rows = {}
    rows["aiinfralint cold"] = timed(
        "aiinfralint check (cold, --no-cache)", [*ail, *common, "--no-cache"], OUT, runs, env
    )

    def wipe() -> None:
        shutil.rmtree(cache_dir, ignore_errors=True)

    wipe()
    measure([*ail, *common], OUT, env)  # prime the cache
    rows["aiinfralint warm"] = timed("aiinfralint check (warm: unchanged)", [*ail, *common], OUT, runs, env)
    if editable:
        # one file changes before every run: the report cannot be replayed, the other files'
        # parse results come from the cache, every rule runs on the whole project again
        victim = sorted(tree.glob("*.yaml"))[0]
        original = victim.read_text(encoding="utf-8")
        counter = iter(range(1_000_000))

        def touch() -> None:
            victim.write_text(original + f"# edit {next(counter)}\n", encoding="utf-8")

        try:
            rows["aiinfralint edited"] = timed(
                "aiinfralint check (warm: 1 file edited)", [*ail, *common], OUT, runs, env, prepare=touch
            )
        finally:
            victim.write_text(original, encoding="utf-8")
    if isinstance(peers.get("checkov"), list):
        rows["checkov"] = timed(
            "checkov --framework kubernetes",
            [
                *peers["checkov"],
                "-d",
                str(tree),
                "--framework",
                "kubernetes",
                "-o",
                "json",
                "--quiet",
                "--skip-download",
            ],
            OUT,
            runs,
            env,
        )
    if isinstance(peers.get("yamllint"), list):
        rows["yamllint"] = timed(
            "yamllint -d relaxed", [*peers["yamllint"], "-d", "relaxed", "-f", "parsable", str(tree)], OUT, runs, env
        )
    cold = rows["aiinfralint cold"]["median_s"]
    ratios = {"warm / cold": rows["aiinfralint warm"]["median_s"] / cold}
    if "aiinfralint edited" in rows:
        ratios["1 file edited / cold"] = rows["aiinfralint edited"]["median_s"] / cold
    for peer in ("checkov", "yamllint"):
        if peer in rows:
            ratios[f"{peer} / aiinfralint cold"] = rows[peer]["median_s"] / cold
    for k, v in ratios.items():
        print(f"  {k:<34} {v:7.2f}x" if "/ aiinfralint" in k else f"  {k:<34} {v:7.2f}", flush=True)
    return {
        "tree": str(tree),
        "files": sum(1 for _ in tree.rglob("*") if _.is_file()),
        "rows": rows,
        "ratios": ratios,
        "aiinfralint_summary": summary,
    }


def bench_one_file(runs: int) -> dict:  # type: ignore[type-arg]
    print("\none file (pre-commit): one synthetic manifest", flush=True)
    tree = generate(1)
    f = next(tree.glob("*.yaml"))
    ail = aiinfralint_bin()
    cache_dir = OUT / "cache" / "one-file"
    env = _env({"AIINFRALINT_CACHE_DIR": str(cache_dir)})
    rows = {
        "python -c pass": timed("python -c pass (interpreter floor)", [sys.executable, "-c", "pass"], OUT, runs, env),
        "import pydantic": timed(
            "python -c 'import pydantic'", [sys.executable, "-c", "import pydantic"], OUT, runs, env
        ),
        "--version": timed("aiinfralint --version", [*ail, "--version"], OUT, runs, env),
        "rules": timed("aiinfralint rules", [*ail, "rules"], OUT, runs, env),
        "cold": timed(
            "aiinfralint check FILE --no-cache",
            [*ail, "check", str(f), "--fail-on", "never", "--no-cache"],
            OUT,
            runs,
            env,
        ),
        "warm": timed("aiinfralint check FILE (warm)", [*ail, "check", str(f), "--fail-on", "never"], OUT, runs, env),
    }
    return rows


def bench_memory(sizes: list[int], runs: int, jobs: int | None) -> dict:  # type: ignore[type-arg]
    print("\nmemory as the tree grows (aiinfralint cold)", flush=True)
    ail = aiinfralint_bin()
    out = {}
    for n in sizes:
        tree = generate(n)
        cmd = [
            *ail,
            "check",
            str(tree),
            "--format",
            "json",
            "--fail-on",
            "never",
            "--no-cache",
            "--no-progress",
            *EXTRA_ARGS,
        ]
        if jobs:
            cmd += ["--jobs", str(jobs)]
        out[n] = timed(f"N={n}", cmd, OUT, runs, _env())
    return out


def machine() -> dict[str, str]:
    model = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "os": platform.platform(),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=500, help="synthetic files (default 500)")
    p.add_argument("--runs", type=int, default=5, help="timed runs per measurement; the median is reported")
    p.add_argument("--jobs", type=int, default=None, help="pass --jobs to aiinfralint (default: all cores)")
    p.add_argument("--corpus", default=str(DEFAULT_CORPUS), help="a real tree to run on too, if it exists")
    p.add_argument(
        "--memory-sizes", default="100,500,2000", help="comma-separated N for the memory series ('' to skip)"
    )
    p.add_argument("--no-peers", action="store_true", help="time aiinfralint only")
    p.add_argument("--no-one-file", action="store_true", help="skip the one-file (pre-commit) timings")
    p.add_argument(
        "--ail-args", default="", help="extra arguments for every `aiinfralint check`, e.g. '--ignore AIL201'"
    )
    args = p.parse_args(argv)
    EXTRA_ARGS[:] = args.ail_args.split()

    OUT.mkdir(parents=True, exist_ok=True)
    info = machine()
    print("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()), flush=True)
    peers = ensure_peers(args.no_peers)
    versions = {"aiinfralint": version_of(aiinfralint_bin())}
    for tool, cmd in peers.items():
        versions[tool] = version_of(cmd) if isinstance(cmd, list) else cmd
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()), flush=True)

    results: dict = {"machine": info, "versions": versions, "ail_args": EXTRA_ARGS}  # type: ignore[type-arg]
    results["synthetic"] = bench_tree(
        f"synthetic-{args.n}", generate(args.n), args.runs, args.jobs, peers, editable=True
    )
    corpus = Path(args.corpus)
    if corpus.is_dir():
        results["corpus"] = bench_tree("corpus", corpus, args.runs, args.jobs, peers)
        print("\nPython files of the corpus against ast.parse alone (bench/python_ratio.py)", flush=True)
        results["python_ratio"] = python_ratio.ratio(corpus, args.runs, args.jobs)
        print("  " + python_ratio.report("corpus", results["python_ratio"]), flush=True)
    else:
        print(f"\ncorpus: {corpus} not found, skipped", flush=True)
    if not args.no_one_file:
        results["one_file"] = bench_one_file(max(args.runs, 7))
    sizes = [int(s) for s in args.memory_sizes.split(",") if s.strip()]
    if sizes:
        results["memory"] = bench_memory(sizes, min(args.runs, 3), args.jobs)
    (OUT / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten {OUT / 'results.json'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
