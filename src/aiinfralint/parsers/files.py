"""One file in, one ParseOutput out: reading, decoding, format dispatch.

This is the only place that turns bytes into text; it decides binary / too large /
invalid UTF-8 / Helm template before any parser sees the file. It never raises.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from aiinfralint.fileio import MAX_FILE_BYTES
from aiinfralint.parsers.base import FileInput, ParseOutput, ParseProblem
from aiinfralint.parsers.registry import (
    DocumentError,
    file_parsers_for,
    handlers_for_text,
)
from aiinfralint.yamlsafe import YamlError, YList, YMap, load_documents

YAML_SUFFIXES = frozenset({".yaml", ".yml", ".json"})

# `{{ .Values.x }}`, `{{- include "x" . }}`, `{{ template ... }}`: Go/Helm templates.
_GO_TEMPLATE = re.compile(
    r"\{\{-?\s*(?:\.|\$|include\b|template\b|if\b|range\b|with\b|define\b|toYaml\b|tpl\b|end\b|else\b|printf\b|required\b|default\b|-)"
)


# a line that is a template directive, not YAML: `{% for %}`, `{{- if }}`, Terraform `%{ for }`
_DIRECTIVE_LINE = re.compile(
    r"^[ \t]*(?:-[ \t]+)?(?:\{%|\{\{-?\s*(?:if|range|for|with|end|else|define|block)\b|%\{~?\s*(?:for|if|endfor|endif|else)\b)",
    re.MULTILINE,
)
# a placeholder where YAML expects a key or an object's identity: `${ns}:`, `name: {model}-x`
_PLACEHOLDER = r"(?:\$\{(?!\{)[^}\n]*\}|\{\{[^}\n]*\}\}|\{[A-Za-z_][A-Za-z0-9_]*\})"
_STRUCTURAL = re.compile(
    rf"^[ \t]*(?:-[ \t]+)?(?:[\"']?[^\s:#\"']*{_PLACEHOLDER}[^\s:#]*[\"']?:(?:[ \t]|$)"
    rf"|(?:name|namespace|kind|apiVersion):[ \t]+[\"']?[^\s#\"']*{_PLACEHOLDER})",
    re.MULTILINE,
)
# a whole value that is a placeholder: `replicas: ${REPLICAS}`, `port: {port}`
_WHOLE_VALUE = re.compile(
    r":[ \t]+(?:[\"']?\$\{(?!\{)[A-Za-z_][A-Za-z0-9_]*\}[\"']?[ \t]*$|[\"']?\{[A-Za-z_][A-Za-z0-9_]*\}(?!:))",
    re.MULTILINE,
)
_TEMPLATE_HINT = "template: render it first"
_PATCH_TELLS = ("replaced-by-kustomize", "\n$patch:", "  $patch:")


def template_reason(text: str) -> str | None:
    """Why `text` is a template or a Kustomize patch rather than plain YAML, or None.

    Cheap and by content: a directive line (Jinja/Go `{% %}`/`{{ if }}`, Terraform `%{ for }`),
    or a placeholder (`${var}`, `{{ x }}`, Python-format `{name}`) in a key, in an object's
    name/namespace/kind/apiVersion, or as a whole value.
    """
    if any(tell in text for tell in _PATCH_TELLS):
        return "Kustomize patch: linted through its kustomization's build, not on its own"
    if "{" not in text:
        return None
    m = _DIRECTIVE_LINE.search(text) or _STRUCTURAL.search(text) or _WHOLE_VALUE.search(text)
    if m is None:
        return None
    found = m.group(0)
    if "%{" in found or "${" in found:
        what = "Terraform/envsubst"
    elif "{%" in found or "{{" in found:
        what = "Go/Jinja"
    else:
        what = "Python-format"
    return f"{what} {_TEMPLATE_HINT}"


def is_go_template(path: str, text: str) -> bool:
    if "{{" not in text:
        return False
    if "/templates/" in f"/{path}" and "{{" in text:
        return True
    return _GO_TEMPLATE.search(text) is not None


def decode(data: bytes) -> tuple[str | None, str | None]:
    """Return (text, None) or (None, reason)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError:
            return None, "invalid UTF-16"
    if b"\x00" in data[:8192]:
        return None, "binary file"
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return None, f"invalid UTF-8 at byte {exc.start}"


def parse_bytes(display: str, data: bytes) -> ParseOutput:
    """Parse already-read file content; `display` is the user-facing path."""
    if len(data) > MAX_FILE_BYTES:
        return ParseOutput(skipped=f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    text, reason = decode(data)
    if text is None:
        assert reason is not None
        # claimed by name alone? then the user deserves a finding, not a silent skip
        lossy = FileInput(display, data.decode("utf-8", errors="replace"))
        if reason.startswith("invalid") and _claims_by_text(lossy):
            return ParseOutput(problems=[ParseProblem(f"cannot decode file: {reason}")], claimed=True)
        return ParseOutput(skipped=reason)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return parse_text(FileInput(display, text))


def _claims_by_text(f: FileInput) -> bool:
    if f.suffix in YAML_SUFFIXES:
        return any(h.claims_text(f) for h in handlers_for_text(f.text))
    return any(p.claims(f) for p in file_parsers_for(f.suffix))


def parse_text(f: FileInput) -> ParseOutput:
    out = ParseOutput()
    if f.suffix in YAML_SUFFIXES:
        structured = _parse_structured(f)
        out.extend(structured)
        out.skipped = structured.skipped
    for parser in file_parsers_for(f.suffix):
        try:
            if not parser.claims(f):
                continue
            result = parser.parse(f)
        except Exception as exc:  # a parser bug must not take the run down
            result = ParseOutput(
                problems=[ParseProblem(f"internal error in {parser.name} parser: {_describe(exc)}")],
                claimed=True,
            )
        if result.claimed or result.objects or result.problems:
            result.kinds.append(parser.name)
        out.extend(result)
        if result.skipped and not out.skipped:
            out.skipped = result.skipped
    if not out.claimed and not out.objects and not out.problems and not out.skipped:
        out.skipped = "not a recognised AI-infrastructure file"
    return out


def _parse_structured(f: FileInput) -> ParseOutput:
    handlers = handlers_for_text(f.text)
    if not handlers:
        return ParseOutput(skipped="no recognised configuration keys")
    # prompt files of agent frameworks hold Jinja in their values: loaded, not skipped
    templated = any(h.template_values and h.claims_text(f) for h in handlers)
    if f.suffix != ".json" and not templated and is_go_template(f.path, f.text):
        return ParseOutput(
            skipped="Helm/Go template; render it first: helm template RELEASE CHART | aiinfralint check - --stdin-filename manifest.yaml"
        )
    if f.suffix != ".json" and not templated:
        reason = template_reason(f.text)
        if reason is not None:
            return ParseOutput(skipped=reason)
    out = ParseOutput()
    index = 0
    try:
        for doc in load_documents(f.text):
            items: list[object] = [doc]
            if isinstance(doc, YMap) and doc.get("kind") == "List" and isinstance(doc.get("items"), YList):
                items = list(doc["items"])
            for item in items:
                index += 1
                for handler in handlers:
                    try:
                        if not handler.claims(item, f):
                            continue
                        out.claimed = True
                        if handler.name not in out.kinds:
                            out.kinds.append(handler.name)
                        for got in handler.parse(item, f, index):
                            if isinstance(got, ParseProblem):
                                out.problems.append(got)
                            else:
                                out.objects.append(got)
                    except DocumentError as exc:
                        out.claimed = True
                        out.problems.append(ParseProblem(exc.message, exc.line, exc.column))
                    except Exception as exc:  # a handler bug must not take the run down
                        line = item.line if isinstance(item, YMap) else 1
                        out.problems.append(
                            ParseProblem(f"internal error in {handler.name} reader: {_describe(exc)}", line)
                        )
                    break
    except YamlError as exc:
        if out.claimed or any(h.claims_text(f) for h in handlers):
            out.claimed = True
            out.problems.append(ParseProblem(exc.message, exc.line, exc.column))
        else:
            out.skipped = f"not loadable as YAML/JSON ({exc.message}, line {exc.line}) and not recognised"
    if not out.claimed and not out.skipped:
        out.skipped = "no document of a recognised kind"
    return out


def _describe(exc: BaseException) -> str:
    """`Type: message` of an exception, short, and never itself raising (the message of an
    exception from deep inside a parser can recurse when formatted)."""
    try:
        text = str(exc)
    except Exception:
        text = ""
    if len(text) > 300:
        text = text[:300] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def display_suffix(path: str) -> str:
    return PurePosixPath(path).suffix.lower()
