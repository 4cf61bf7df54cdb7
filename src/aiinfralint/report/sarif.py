"""SARIF 2.1.0 output for code scanning (SPEC §6).

Every rule that ran is described once in ``tool.driver.rules`` (short and full
description, the rendered rule page as help, the page's URL as ``helpUri``); every
finding becomes a result with a repository-relative location, its logical location
(the object it is about), its impact in ``properties`` and a ``partialFingerprints``
entry built from code, path, object and problem key, never the line number, so a
finding keeps its identity when lines move above it. Message text escapes ``[``, ``]`` and
``\\`` (SARIF reads ``[text](target)`` in a plain-text message as a link); a file name with
undecodable bytes is percent-encoded from its bytes in the URI and written ``\\xNN`` elsewhere.

A finding with a mechanical repair carries it in ``fixes`` (SARIF 3.55-3.57): one
``artifactChange`` for the file, one ``replacement`` per edit, its ``deletedRegion`` in the
run's ``columnKind`` (``unicodeCodePoints``: the edits' character columns as they are, 1-based,
end exclusive; an insertion is an empty region). Unsafe fixes (those only ``--unsafe-fixes``
applies: they change behaviour or cost) are included too, their description starting with
``unsafe:``, so a viewer that offers fixes shows what applying one means.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from aiinfralint.docs import help_uri, render_rule
from aiinfralint.model.finding import Finding, Fix, Severity
from aiinfralint.report.base import ReportOptions, impact_dict, summary_dict
from aiinfralint.report.escape import json_text, path_bytes, sarif_message
from aiinfralint.report.gate import diff_summary, gate_summary
from aiinfralint.rules.registry import find_rule

if TYPE_CHECKING:
    from aiinfralint.pipeline.engine import RunResult
    from aiinfralint.rules.base import Rule

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/aiinfralint/aiinfralint"
FINGERPRINT_KEY = "aiinfralint/v1"
SRCROOT = "%SRCROOT%"

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def repo_root(cwd: Path) -> Path | None:
    """The enclosing git work tree (by walking up to ``.git``; no subprocess)."""
    for parent in (cwd, *cwd.parents):
        if (parent / ".git").exists():
            return parent
    return None


def repo_relative(path: str, cwd: Path) -> str | None:
    """`path` (as findings carry it: relative to cwd) relative to the repository root.

    Falls back to the path relative to the working directory outside a git work tree.
    Returns None for pseudo paths such as ``<engine>``.
    """
    if not path or path.startswith("<"):
        return None
    p = Path(path)
    absolute = p if p.is_absolute() else cwd / p
    root = repo_root(cwd)
    base = root if root is not None else cwd
    try:
        rel = os.path.relpath(os.path.normpath(absolute), base)
    except ValueError:
        return Path(path).as_posix()
    if rel.startswith(".."):
        return Path(os.path.normpath(absolute)).as_posix()
    return rel.replace(os.sep, "/")


def _section(doc: str, title: str) -> str:
    m = re.search(rf"^## {re.escape(title)}\s*\n(.*?)(?=^## |\Z)", doc, flags=re.MULTILINE | re.DOTALL)
    return " ".join(m.group(1).split()) if m else ""


def rule_descriptor(rule: type[Rule]) -> dict[str, Any]:
    doc = rule.doc()
    headline = doc.splitlines()[0] if doc else rule.slug
    full = _section(doc, "What it does") or headline
    page = render_rule(rule)
    fix = _section(doc, "How to fix")
    return {
        "id": rule.code,
        "name": rule.slug,
        "shortDescription": {"text": rule.title()},
        "fullDescription": {"text": full},
        "help": {"text": f"{full}\n\nHow to fix: {fix}" if fix else full, "markdown": page},
        "helpUri": help_uri(rule),
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"tags": ["aiinfralint", rule.code[:4].lower()], "inputs": rule.inputs},
    }


def _artifact(path: str, cwd: Path) -> dict[str, Any] | None:
    """The artifactLocation of a file (None for a pseudo path such as ``<engine>``)."""
    uri = repo_relative(path, cwd)
    if uri is None:
        return None
    if uri.startswith("/"):  # outside the repository: an absolute file URI, no base
        return {"uri": Path(uri).as_uri()}
    return {"uri": quote(path_bytes(uri), safe="/:@-._~"), "uriBaseId": SRCROOT}


def _location(f: Finding, cwd: Path) -> dict[str, Any] | None:
    artifact = _artifact(f.span.path, cwd)
    if artifact is None:
        return None
    region: dict[str, Any] = {"startLine": max(1, f.span.line), "startColumn": max(1, f.span.column)}
    if f.span.end_line is not None and f.span.end_line >= region["startLine"]:
        region["endLine"] = f.span.end_line
    loc: dict[str, Any] = {"physicalLocation": {"artifactLocation": artifact, "region": region}}
    if f.logical_location:
        loc["logicalLocations"] = [
            {"name": f.logical_location, "fullyQualifiedName": f.logical_location, "kind": "resource"}
        ]
    return loc


def fix_entry(fix: Fix, cwd: Path) -> dict[str, Any] | None:
    """A SARIF ``fix`` object, or None when it has no edit or names no real file."""
    artifact = _artifact(fix.path, cwd)
    if artifact is None or not fix.edits:
        return None
    replacements = [
        {
            "deletedRegion": {
                "startLine": e.start_line,
                "startColumn": e.start_column,
                "endLine": e.end_line,
                "endColumn": e.end_column,
            },
            "insertedContent": {"text": e.text},
        }
        for e in fix.edits
    ]
    description = fix.description if fix.safety == "safe" else f"unsafe: {fix.description}"
    return {
        "description": {"text": sarif_message(description)},
        "artifactChanges": [{"artifactLocation": artifact, "replacements": replacements}],
    }


def result_entry(f: Finding, index: int, cwd: Path) -> dict[str, Any]:
    text = f.message
    if f.remediation:
        text = f"{f.message} {f.remediation}"
    props: dict[str, Any] = {"slug": f.slug, "severity": f.severity.value}
    if f.remediation:
        props["remediation"] = f.remediation
    imp = impact_dict(f.impact)
    if imp is not None:
        props["impact"] = imp
    entry: dict[str, Any] = {
        "ruleId": f.code,
        "ruleIndex": index,
        "level": LEVELS[f.severity],
        "message": {"text": sarif_message(text)},
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint or f.code},
        "properties": props,
    }
    loc = _location(f, cwd)
    if loc is not None:
        entry["locations"] = [loc]
    fix = fix_entry(f.fix, cwd) if f.fix is not None else None
    if fix is not None:
        entry["fixes"] = [fix]
    return entry


def build(result: RunResult, options: ReportOptions) -> dict[str, Any]:
    rules: list[type[Rule]] = list(result.rules)
    known = {r.code for r in rules}
    for f in result.findings:
        if f.code not in known:
            extra = find_rule(f.code)
            if extra is not None:
                rules.append(extra)
                known.add(extra.code)
    rules.sort(key=lambda r: r.code)
    index = {r.code: i for i, r in enumerate(rules)}
    results = []
    for f in result.findings:
        entry = result_entry(f, index.get(f.code, -1), options.cwd)
        if entry["ruleIndex"] < 0:
            del entry["ruleIndex"]
        results.append(entry)
    root = repo_root(options.cwd) or options.cwd
    notifications = [
        {"level": "note", "message": {"text": sarif_message(f"skipped {path}: {reason}")}}
        for path, reason in result.skipped
    ]
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    run_props: dict[str, Any] = {"summary": summary_dict(result)}
    gate = _gate_properties(result)
    if gate:
        run_props["gate"] = gate
    diff = diff_summary(result)  # --diff only
    if diff:
        run_props["diff"] = diff
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "aiinfralint",
                        "version": options.version,
                        "semanticVersion": options.version,
                        "informationUri": INFORMATION_URI,
                        "rules": [rule_descriptor(r) for r in rules],
                    }
                },
                "originalUriBaseIds": {SRCROOT: {"uri": root.resolve().as_uri() + "/"}},
                "invocations": [invocation],
                "results": results,
                "columnKind": "unicodeCodePoints",
                "properties": run_props,
            }
        ],
    }


def _gate_properties(result: RunResult) -> dict[str, Any]:
    return gate_summary(result)  # empty on a plain check


def render(result: RunResult, options: ReportOptions) -> str:
    return json_text(json.dumps(build(result, options), indent=2, ensure_ascii=False)) + "\n"
