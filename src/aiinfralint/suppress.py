"""Inline suppressions: `# aiinfralint: ignore[AIL201] reason`.

The marker works in any comment syntax (`#`, `--`, `//`, `{# ... #}`), because it is
matched as text. On a line with code it silences findings on that line; alone on its
line it silences the next line too. `ignore-file[...]` silences the whole file. A
list of codes is required: a bare `ignore` silences nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_MARK = re.compile(
    r"aiinfralint:\s*ignore(?P<file>-file)?\[(?P<codes>[^\]]*)\](?P<reason>[^\n]*)", re.IGNORECASE
)
_COMMENT_ONLY = re.compile(r"^\s*(#|--|//|\{#|<!--|;)")


@dataclass
class Suppression:
    line: int
    codes: tuple[str, ...]
    reason: str
    whole_file: bool = False
    applies_to: tuple[int, ...] = ()
    used: bool = False


@dataclass
class FileSuppressions:
    items: list[Suppression] = field(default_factory=list)

    def match(self, code: str, slug: str, line: int) -> Suppression | None:
        for s in self.items:
            if not _selects(s.codes, code, slug):
                continue
            if s.whole_file or line in s.applies_to:
                s.used = True
                return s
        return None


def _selects(codes: tuple[str, ...], code: str, slug: str) -> bool:
    for c in codes:
        if c.upper() == "ALL" or c.lower() == slug or code.upper().startswith(c.upper()):
            return True
    return False


def parse_suppressions(text: str) -> FileSuppressions:
    out = FileSuppressions()
    if "aiinfralint:" not in text and "AIINFRALINT:" not in text.upper():
        return out
    for lineno, line in enumerate(text.split("\n"), start=1):
        if "aiinfralint" not in line.lower():
            continue
        m = _MARK.search(line)
        if not m:
            continue
        codes = tuple(c.strip() for c in re.split(r"[,\s]+", m.group("codes")) if c.strip())
        if not codes:
            continue
        reason = m.group("reason").strip().rstrip("#}->").strip()
        alone = bool(_COMMENT_ONLY.match(line))
        applies = (lineno, lineno + 1) if alone else (lineno,)
        out.items.append(
            Suppression(lineno, codes, reason, whole_file=bool(m.group("file")), applies_to=applies)
        )
    return out
