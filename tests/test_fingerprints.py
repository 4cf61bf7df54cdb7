"""Fingerprints of the engine's own findings do not move with a parser's wording or a line.

AIL000 is fingerprinted by its file and the kind of problem; AIL001/AIL002 by the file, the
suppression's codes and its comment. Repeats in one file are told apart by `:n`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from aiinfralint.config import Config
from aiinfralint.model.finding import Finding
from aiinfralint.pipeline.baseline import apply_baseline, load_baseline
from aiinfralint.pipeline.engine import RunOptions, legacy_fingerprint, problem_kind, run

BROKEN_PY = "import openai\n\n\ndef ask(q):\n    return openai.chat(q\n"
DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: chat
spec:
  replicas: 1
  selector: {{matchLabels: {{app: chat}}}}
  template:
    metadata: {{labels: {{app: chat}}}}
    spec:
      containers:
      - name: chat
        image: nginx:1.27{pad}
        resources: {{}}   # aiinfralint: ignore[{code}] {reason}
"""


def _findings(root: Path, files: dict[str, str], code: str) -> list[Finding]:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    result = run(RunOptions(paths=["."], config=Config(), cwd=root, use_cache=False, jobs=1))
    return [f for f in result.findings if f.code == code]


def test_a_parse_error_keeps_its_fingerprint_when_it_moves_and_is_reworded(tmp_path: Path) -> None:
    [a] = _findings(tmp_path / "a", {"app/bot.py": BROKEN_PY}, "AIL000")
    [b] = _findings(tmp_path / "b", {"app/bot.py": "# a comment\n\n" + BROKEN_PY.replace("(q\n", "(q,\n")}, "AIL000")
    assert a.span.line != b.span.line
    assert a.fingerprint == b.fingerprint
    # another file, another fingerprint
    [c] = _findings(tmp_path / "c", {"app/other.py": BROKEN_PY}, "AIL000")
    assert c.fingerprint != a.fingerprint


def test_kinds_of_problem() -> None:
    assert problem_kind("cannot read: permission denied; not checked") == "unreadable"
    assert problem_kind("cannot decode file: not UTF-8") == "unreadable"
    assert problem_kind("internal error in yaml parser: RecursionError") == "internal error"
    assert problem_kind("Python syntax error ('(' was never closed)") == "invalid"


def test_two_problems_in_one_file_stay_distinct(tmp_path: Path) -> None:
    two = "apiVersion: aiinfralint/v1\nkind: QuotaContrakt\nmetadata: {name: a}\n---\n" * 2
    found = _findings(tmp_path, {"quota.yaml": two}, "AIL000")
    assert len(found) == 2
    assert found[1].fingerprint == f"{found[0].fingerprint}:1"


def test_an_unused_suppression_is_fingerprinted_by_its_codes_and_comment(tmp_path: Path) -> None:
    def one(where: str, pad: str = "", code: str = "AIL999", reason: str = "kept from an old copy") -> Finding:
        text = DEPLOY.format(pad=pad, code=code, reason=reason)
        [f] = _findings(tmp_path / where, {"deploy.yaml": text}, "AIL001")
        return f

    base = one("a")
    moved = one("b", pad="\n        # a comment above it")
    assert moved.span.line != base.span.line and moved.fingerprint == base.fingerprint
    assert one("c", reason="another reason").fingerprint != base.fingerprint
    assert one("d", code="AIL998").fingerprint != base.fingerprint


def test_a_baseline_holding_the_old_parse_error_fingerprint_still_matches(tmp_path: Path) -> None:
    [f] = _findings(tmp_path, {"app/bot.py": BROKEN_PY}, "AIL000")
    # before, AIL000 was fingerprinted by its message
    raw = f"{f.code}|{f.span.path}|{f.logical_location or ''}|{f.message}"
    old = hashlib.sha256(raw.encode()).hexdigest()[:20]
    assert legacy_fingerprint(f) == old != f.fingerprint
    doc = {"version": 1, "findings": [{"fingerprint": old, "code": f.code, "path": f.span.path, "message": f.message}]}
    (tmp_path / "old.json").write_text(json.dumps(doc), encoding="utf-8")
    assert apply_baseline([f], load_baseline(str(tmp_path / "old.json")), tmp_path) == ([], [f], 0)


def test_a_parse_error_keeps_its_gate_identity_when_reworded_and_old_baselines_match(tmp_path: Path) -> None:
    from aiinfralint.pipeline.baseline import Baseline, BaselineEntry, identities
    from aiinfralint.pipeline.gate_types import identity

    [a] = _findings(tmp_path / "a", {"app/bot.py": BROKEN_PY}, "AIL000")
    [b] = _findings(tmp_path / "b", {"app/bot.py": "# a comment\n\n" + BROKEN_PY.replace("(q\n", "(q))\n")}, "AIL000")
    assert a.message != b.message and a.span.line != b.span.line
    assert identity(a) == identity(b)
    # a baseline written when the identity was keyed by the message still matches
    root = tmp_path / "a"
    old = identity(a.model_copy(update={"key": a.message}))
    assert old not in identities([a], root, root)
    baseline = Baseline(entries=[BaselineEntry(code="AIL000", path="app/bot.py", fingerprint="x", identity=old)])
    kept, dropped, stale = apply_baseline([a], baseline, root)
    assert (kept, dropped, stale) == ([], [a], 0)
