"""Rule documentation, rendered from each rule's docstring and embedded examples.

`python -m aiinfralint.docs [DIR]` writes `rules/CODE-slug.md` (and `rules/README.md`);
a test fails when the committed pages differ from what the rules say.
"""

from __future__ import annotations

import sys
from pathlib import Path

from aiinfralint.rules.base import Rule

_LANG = {".py": "python", ".yaml": "yaml", ".yml": "yaml", ".json": "json", ".sql": "sql", ".j2": "jinja", ".jinja": "jinja", ".jinja2": "jinja", ".toml": "toml"}


def page_name(rule: type[Rule]) -> str:
    return f"{rule.code}-{rule.slug}.md"


def help_uri(rule: type[Rule]) -> str:
    return f"https://github.com/aiinfralint/aiinfralint/blob/main/rules/{page_name(rule)}"


def render_rule(rule: type[Rule]) -> str:
    doc = rule.doc()
    lines = doc.splitlines()
    headline = lines[0] if lines else rule.slug
    body = "\n".join(lines[1:]).strip()
    out = [
        f"# {rule.code} `{rule.slug}`",
        "",
        f"**{headline}**",
        "",
        f"- Default severity: `{rule.severity.value}`",
        f"- Reads: {rule.inputs or 'the whole model'}",
        f"- Select with `--select {rule.code}` or `--select {rule.slug}`; silence inline with "
        f"`# aiinfralint: ignore[{rule.code}] reason`.",
        "",
        body,
        "",
    ]
    for ex in rule.examples:
        label = "Example (flagged)" if ex.is_bad else "Use instead (not flagged)"
        title = f": {ex.title}" if ex.title else ""
        out.append(f"## {label}{title}")
        out.append("")
        for name, src in ((ex.filename, ex.source), *ex.extra_files):
            lang = _LANG.get(Path(name).suffix.lower(), "text")
            out.append(f"`{name}`")
            out.append("")
            out.append(f"```{lang}")
            out.append(src.rstrip("\n"))
            out.append("```")
            out.append("")
        if ex.is_bad:
            out.append(f"Expected: {', '.join(ex.expect)}")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def render_index(rules: tuple[type[Rule], ...]) -> str:
    out = ["# Rules", "", "| code | slug | severity | summary |", "|---|---|---|---|"]
    for r in rules:
        out.append(f"| [{r.code}]({page_name(r)}) | `{r.slug}` | {r.severity.value} | {r.title()} |")
    return "\n".join(out) + "\n"


def expected_pages() -> dict[str, str]:
    from aiinfralint.rules.registry import builtin_rules

    rules = builtin_rules()
    pages = {page_name(r): render_rule(r) for r in rules}
    pages["README.md"] = render_index(rules)
    return pages


def write(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in expected_pages().items():
        p = directory / name
        p.write_text(text, encoding="utf-8")
        written.append(p)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("rules")
    for p in write(target):
        print(p)
