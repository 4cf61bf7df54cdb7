"""Rule selectors: how `--select`, `--ignore`, `per-file-ignores`, inline suppressions and
`aiinfralint/ignore` annotations name rules. No dependencies, so every layer can use it."""

from __future__ import annotations


def selector_matches(selector: str, code: str, slug: str) -> bool:
    """Whether one selector names a rule: ``ALL``, its slug, its code or a code prefix (``AIL2``).

    Case does not matter and surrounding blanks are ignored; an empty selector names nothing.
    """
    s = selector.strip()
    if not s:
        return False
    return s.upper() == "ALL" or s.lower() == slug or code.upper().startswith(s.upper())
