"""Prompt template files -> `PromptTemplate`.

Reads ``.prompt`` (dotprompt), ``.prompty`` (YAML front matter + body), Jinja
(``.j2``, ``.jinja``, ``.jinja2``), ``.mustache``, Semantic Kernel ``skprompt.txt`` and
``.txt``/``.md`` files under a ``prompts/`` directory. Front matter gives the name and
the model; role lines (``system:``, ``# user:``) and dotprompt ``{{role "system"}}``
split the body into messages.

Not prompts, and not read: models' chat templates (they render any conversation:
``bos_token``, ``add_generation_prompt``, ``for message in messages``), Jinja files that
render another format (``config.json.j2``, ``nginx.conf.j2``; ``Dockerfile.j2``, and any whose
lines read as a Dockerfile, YAML, ini/systemd, nginx or JSON: skipped with the kind) and
Ansible templates. Jinja bodies (``.j2``/``.jinja``/``.jinja2``, ``.prompty`` unless its front
matter names another format) are read with Jinja's own parser; a syntax error is a problem
with its line.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

from aiinfralint.model.base import Span
from aiinfralint.model.prompt import PromptTemplate
from aiinfralint.parsers.base import FileInput, ParseOutput, ParseProblem
from aiinfralint.parsers.prompt_slots import (
    JinjaError,
    LineIndex,
    Segmented,
    is_model_chat_template,
    segment_jinja,
    segment_template,
    template_syntax,
)
from aiinfralint.parsers.registry import FileParser
from aiinfralint.yamlsafe import YamlError, YMap, load_documents

TEMPLATE_SUFFIXES = frozenset({".prompt", ".prompty", ".j2", ".jinja", ".jinja2", ".mustache"})
JINJA_SUFFIXES = frozenset({".j2", ".jinja", ".jinja2"})
# `name.<inner>.j2` renders a file of type <inner>: these are configuration, not prompts
CONFIG_INNER_SUFFIXES = frozenset(
    {
        ".json",
        ".yaml",
        ".yml",
        ".conf",
        ".cfg",
        ".ini",
        ".xml",
        ".html",
        ".htm",
        ".sh",
        ".py",
        ".toml",
        ".env",
        ".properties",
        ".service",
        ".tf",
        ".hcl",
        ".sql",
        ".js",
        ".ts",
        ".css",
        ".csv",
        ".repo",
        ".list",
        ".rules",
    }
)
TEXT_SUFFIXES = frozenset({".txt", ".md"})
PROMPT_DIRS = frozenset({"prompts", "prompt"})
_ANSIBLE = re.compile(r"\bansible_\w+|\binventory_hostname\b|\bhostvars\b")
_FRONT = re.compile(r"\A---[ \t]*\n(?P<body>.*?\n)?---[ \t]*(?:\n|\Z)", re.S)
_FRONT_OPEN = re.compile(r"---[ \t]*\n")
# files whose leading `---` always opens front matter (a missing closing `---` is an error)
FRONT_MATTER_SUFFIXES = frozenset({".prompty", ".prompt"})
_CLOSERS = {"{{": "}}", "{%": "%}", "{#": "#}", "{% raw %}": "{% endraw %}"}
_KINDS = {".prompty": "prompty", ".mustache": "mustache", ".prompt": "prompt"}


def claims(f: FileInput) -> bool:
    suffix = f.suffix
    if suffix in TEMPLATE_SUFFIXES:
        if suffix in JINJA_SUFFIXES:
            inner = PurePosixPath(f.pure.stem).suffix.lower()
            if inner in CONFIG_INNER_SUFFIXES:
                return False
        return True
    if f.name.lower() == "skprompt.txt":
        return True
    if suffix in TEXT_SUFFIXES and not f.name.lower().startswith(("readme", "changelog", "license")):
        return any(part.lower() in PROMPT_DIRS for part in f.pure.parts[:-1])
    return False


def _model_from(front: Any) -> tuple[str | None, str | None, tuple[int, int] | None]:
    """(model, provider, position of `model:`) from prompty/dotprompt front matter."""
    if not isinstance(front, YMap) or "model" not in front:
        return None, None, None
    pos = front.pos("model")
    value = front.get("model")
    if isinstance(value, str):
        return value.strip() or None, None, pos
    if isinstance(value, dict):
        provider = value.get("provider") if isinstance(value.get("provider"), str) else None
        conf = value.get("configuration") or value.get("connection") or {}
        for holder, key in (
            (value, "id"),
            (value, "name"),
            (value, "model"),
            (conf, "azure_deployment"),
            (conf, "model"),
            (conf, "name"),
            (conf, "deployment"),
        ):
            if isinstance(holder, dict) and isinstance(holder.get(key), str) and holder[key].strip():
                m = holder[key].strip()
                if m.startswith("${"):
                    continue
                if provider is None and isinstance(conf, dict) and isinstance(conf.get("type"), str):
                    provider = conf["type"]
                return m, provider, pos
        return None, provider, pos
    return None, None, pos


def budget_from(front: Any) -> int | None:
    """A prompt's own token budget: `token_budget:` or `metadata: {token_budget: N}`."""
    if not isinstance(front, dict):
        return None
    for holder in (front, front.get("metadata")):
        if isinstance(holder, dict):
            value = holder.get("token_budget", holder.get("token-budget"))
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value
    return None


def parse(f: FileInput) -> ParseOutput:
    text = f.text
    out = ParseOutput(claimed=True)
    if f.suffix in JINJA_SUFFIXES and _ANSIBLE.search(text):
        return ParseOutput(skipped="Ansible/Jinja configuration template, not a prompt")
    if is_model_chat_template(text):
        return ParseOutput(skipped="model chat template (formats any conversation), not an application prompt")
    index = LineIndex(text)
    front: Any = None
    base = 0
    m = _FRONT.match(text)
    if m is None and f.suffix in FRONT_MATTER_SUFFIXES and _FRONT_OPEN.match(text):
        out.problems.append(ParseProblem("front matter opened by `---` is never closed (no `---` line after it)", 1, 1))
        return out
    if m and f.suffix != ".j2":
        base = m.end()
        try:
            docs = list(load_documents(m.group("body") or ""))
            front = docs[0] if docs else None
        except YamlError as exc:
            # front matter starts on line 2
            out.problems.append(ParseProblem(f"invalid YAML front matter: {exc.message}", exc.line + 1, exc.column))
            return out
    body = text[base:]
    if not body.strip():
        return out
    kind = not_prompt_kind(f, body)
    if kind is not None:
        return ParseOutput(skipped=f"not a prompt: {kind} template")
    if _is_jinja(f, front):
        try:
            seg = segment_jinja(body, f.path, base=base, index=index)
        except JinjaError as exc:
            # an unclosed tag is reported at its opener (where Jinja gives up is the end of the
            # file), and the template is still read up to it; other errors at Jinja's line
            seg = segment_template(body, f.path, base=base, index=index, syntax=template_syntax(body))
            if seg.unclosed is None:
                out.problems.append(ParseProblem(exc.message, index.pos(base)[0] + exc.line - 1, 1))
                return out
    else:
        seg = segment_template(body, f.path, base=base, index=index, syntax=template_syntax(body))
    if seg.unclosed is not None:
        offset, opener = seg.unclosed
        line, col = index.pos(base + offset)
        out.problems.append(ParseProblem(f"unclosed `{opener}`: no `{_CLOSERS[opener]}` after it", line, col))
    if any(s.text.strip() for s in seg.segments):
        out.objects.append(_template(f, _source_kind(f, front, body), front, seg))
    return out


def _is_jinja(f: FileInput, front: Any) -> bool:
    """Read with Jinja's parser: Jinja files, and `.prompty` bodies unless their front matter
    names another template format (`template: mustache`, `template: {format: {kind: nunjucks}}`)."""
    if f.suffix in JINJA_SUFFIXES:
        return True
    if f.suffix != ".prompty":
        return False
    fmt: Any = front.get("template") if isinstance(front, dict) else None
    for key in ("format", "kind"):
        if isinstance(fmt, dict):
            fmt = fmt.get(key, fmt.get("type"))
    return fmt is None or (isinstance(fmt, str) and fmt.strip().lower() in ("jinja2", "jinja"))


# --- templates of other files (not prose prompts) ---------------------------------------

# file names (before `.j2`) that are never prompts
_NOT_PROMPT_NAMES = {
    "dockerfile": "Dockerfile",
    "containerfile": "Dockerfile",
    "makefile": "Makefile",
    "jenkinsfile": "Jenkinsfile",
    "vagrantfile": "Vagrantfile",
    "nginx": "nginx configuration",
    "httpd": "Apache configuration",
    "crontab": "crontab",
    "hosts": "hosts file",
    "sshd_config": "sshd configuration",
    "requirements": "pip requirements",
}
_DOCKER_LINE = re.compile(
    r"\s*(?:FROM|RUN|COPY|ADD|ENV|ARG|WORKDIR|ENTRYPOINT|CMD|EXPOSE|LABEL|USER|VOLUME|HEALTHCHECK|SHELL|STOPSIGNAL)\s"
)
_YAML_KEY_LINE = re.compile(r"[ \t]*(?:-[ \t]+)?[A-Za-z_][\w.\-]*:(?:[ \t]|$)")
_INI_SECTION = re.compile(r"\s*\[[A-Za-z][\w .:\-]*\]$")
_INI_KEY = re.compile(r"\s*[A-Za-z][\w.\-]*[ \t]*=")
# `server {`, `listen 80;`, `}`
_BLOCK_CONF = re.compile(r"\s*(?:[\w~^*/.\-\s\"']*\{|[\w]+[ \t]+[^;{}]*;|\})$")
_JSON_LINE = re.compile(r"\s*[\"{}\[\]]")
# bounded, so a line of unclosed `{%` costs linear time
_JINJA_STMT = re.compile(r"\{%[^\n]{0,300}?%\}|\{#[^\n]{0,300}?#\}")
_JINJA_EXPR = re.compile(r"\{\{[^\n]{0,300}?\}\}")
# how much of a file is looked at to tell its kind
_KIND_SAMPLE = 20_000


def not_prompt_kind(f: FileInput, body: str) -> str | None:
    """What a Jinja template renders when that is a file of another kind (a Dockerfile,
    YAML, an ini, systemd or nginx configuration, JSON, a script), else None. By name first,
    then by content: most of its non-blank lines (template tags removed) read as that format."""
    if f.suffix not in JINJA_SUFFIXES:
        return None
    stem = PurePosixPath(f.pure.stem)
    for name in (stem.name.lower(), stem.stem.lower()):
        if name in _NOT_PROMPT_NAMES:
            return _NOT_PROMPT_NAMES[name]
        if name.startswith(("dockerfile.", "dockerfile-", "dockerfile_")):
            return "Dockerfile"
    if body.startswith("#!"):
        return "script"
    return _kind_by_content(body)


def _kind_by_content(body: str) -> str | None:
    # a printed value stands for a word (`FROM {{ image }}`); statements and comments print nothing
    text = _JINJA_EXPR.sub("x", _JINJA_STMT.sub("", body[:_KIND_SAMPLE]))
    lines = [ln.rstrip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if len(lines) < 3:
        return None

    def share(pattern: re.Pattern[str]) -> float:
        return sum(1 for ln in lines if pattern.match(ln)) / len(lines)

    if lines[0].lstrip().upper().startswith(("FROM ", "ARG ")) and share(_DOCKER_LINE) >= 0.5:
        return "Dockerfile"
    if any(ln.endswith("{") for ln in lines) and share(_BLOCK_CONF) >= 0.7:
        return "nginx-style configuration"
    if any(_INI_SECTION.match(ln) for ln in lines) and share(_INI_KEY) + share(_INI_SECTION) >= 0.7:
        return "ini/systemd configuration"
    nested = any(ln[:1] in " \t" and _YAML_KEY_LINE.match(ln) for ln in lines)
    if nested and share(_YAML_KEY_LINE) >= 0.7:
        return "YAML"
    if lines[0].lstrip()[:1] in "{[" and lines[-1][-1:] in "}]" and share(_JSON_LINE) >= 0.7:
        return "JSON"
    return None


def _source_kind(f: FileInput, front: Any, body: str) -> str:
    """The template family a prompt file is written in."""
    kind = _KINDS.get(f.suffix, "jinja" if f.suffix in JINJA_SUFFIXES else "text")
    if f.name.lower() == "skprompt.txt":
        return "semantic-kernel"
    if kind == "prompt" and (front is not None or "{{role" in body or "{{#role" in body):
        return "dotprompt"
    return kind


def _template(f: FileInput, kind: str, front: Any, seg: Segmented) -> PromptTemplate:
    """The prompt of one file, with the model and budget its front matter names."""
    model, provider, model_pos = _model_from(front)
    # front matter lines are offset by the opening `---`
    field_spans: dict[str, Span] = {}
    if model_pos is not None:
        field_spans["model"] = Span(path=f.path, line=model_pos[0] + 1, column=model_pos[1])
    name = None
    if front is not None and isinstance(front, dict) and isinstance(front.get("name"), str):
        name = front["name"].strip() or None
    first_line = seg.segments[0].span.line if seg.segments else 1
    return PromptTemplate(
        span=Span(path=f.path, line=first_line, column=1),
        field_spans=field_spans,
        name=name or f.path,
        source_kind=kind,
        segments=tuple(seg.segments),
        breakpoints=tuple(seg.breakpoints),
        model=model,
        provider=provider,
        model_source="front matter `model:`" if model else None,
        token_budget=budget_from(front),
    )


PARSER = FileParser(name="prompt-template", claims=claims, parse=parse)
