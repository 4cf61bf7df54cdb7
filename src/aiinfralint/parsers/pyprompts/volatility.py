"""How often a value in a prompt changes, decided by where it is computed (data flow).

Words (`parsers.prompt_slots.classify`) say what a value is; this says when it is computed:

- a module-level assignment outside any loop runs once, at import: the value is the same for
  every call of a process (`DOCUMENT = fetch(url)`, `TODAY = date.today()`). A clock time or a
  random value taken at import differs between processes: that is said, not hidden;
- a local assigned before the loop that sends the calls is fixed for that loop's session
  (a document read once, then asked about turn after turn);
- a value set only under a flag that turns prefix caching off (`if self.disable_prefix_caching:`)
  busts the cache on purpose: the author chose to lose it, so it is not reported;
- anything else keeps the class its words give (a parameter of the function that builds the
  prompt is a per-call value).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, replace

from aiinfralint.model.prompt import CONSTANT, REQUEST, TIME, UNKNOWN
from aiinfralint.parsers.pyprompts.evaluate import Piece
from aiinfralint.parsers.pyprompts.scope import Scope

# a clock format without a time of day: the value changes once a day
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
_DOCUMENT_WORDS = frozenset(
    {"doc", "docs", "document", "documents", "context", "article", "book", "corpus", "transcript", "manual",
     "knowledge", "passage", "passages", "reference", "references", "paper"}
)  # fmt: skip
_TIME_OF_DAY = ("%H", "%I", "%M", "%S", "%X", "%T", "%c", "%f", "%s", "%p")
# a flag turning prefix caching off: `disable_prefix_caching`, `bust_cache`, `no_cache`, `cache_off`
_CACHE_OFF_WORDS = frozenset({"disable", "disabled", "no", "bust", "buster", "bypass", "skip", "avoid", "off"})
_CACHE_ON_WORDS = frozenset({"enable", "enabled", "use", "allow"})


def import_once(tree: ast.Module) -> set[int]:
    """Ids of the values assigned at module level outside any loop (computed once, at import)."""
    out: set[int] = set()
    stack: list[ast.stmt] = list(tree.body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            out.add(id(stmt.value))
        elif isinstance(stmt, (ast.If, ast.With, ast.AsyncWith)):
            stack.extend(stmt.body)
            stack.extend(getattr(stmt, "orelse", []))
        elif isinstance(stmt, ast.Try):
            stack.extend(stmt.body + stmt.orelse + stmt.finalbody)
            for handler in stmt.handlers:
                stack.extend(handler.body)
    return out


def _flag_words(test: ast.expr) -> list[set[str]]:
    """The words of each name or attribute in an `if` test (`self.disable_prefix_caching`)."""
    names = [
        n.id if isinstance(n, ast.Name) else n.attr for n in ast.walk(test) if isinstance(n, (ast.Name, ast.Attribute))
    ]
    return [{w.lower() for w in _WORD.findall(n)} for n in names]


def _turns_cache_off(test: ast.expr) -> bool:
    """True for `if disable_prefix_caching:`, `if bust_cache:` or `if not use_cache:`."""
    negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
    for words in _flag_words(test.operand if isinstance(test, ast.UnaryOp) else test):
        if not any(w.startswith("cach") for w in words):
            continue
        if words & (_CACHE_ON_WORDS if negated else _CACHE_OFF_WORDS):
            return True
    return False


def cache_off_values(tree: ast.Module) -> set[int]:
    """Ids of the values assigned only under a flag that turns prefix caching off.

    Only statements are visited (an `if` and the assignments in its body are statements), never
    the expressions inside them, so a file of huge expressions costs no more than its lines.
    """
    out: set[int] = set()
    for stmt in _statements(tree.body):
        if isinstance(stmt, ast.If) and _turns_cache_off(stmt.test):
            for inner in _statements(stmt.body):
                if isinstance(inner, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and inner.value is not None:
                    out.add(id(inner.value))
    return out


def _statements(body: list[ast.stmt]) -> list[ast.stmt]:
    """Every statement of `body` and of the blocks nested in it (functions and classes included)."""
    out: list[ast.stmt] = []
    stack = list(reversed(body))
    while stack:
        stmt = stack.pop()
        out.append(stmt)
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            block = getattr(stmt, name, None)
            if isinstance(block, list):
                for child in reversed(block):
                    if isinstance(child, ast.stmt):
                        stack.append(child)
                    elif isinstance(child, (ast.ExceptHandler, ast.match_case)):
                        stack.extend(reversed(child.body))
    return out


@dataclass
class Site:
    """The loop that sends a prompt's calls: its function's locals and the loop's first line."""

    assigns: object  # the `assigns` mapping of the function's scope (compared by identity)
    loop_line: int


class Flow:
    """Decides, for a name being rendered into a prompt, whether its value is fixed between calls."""

    def __init__(self, tree: ast.Module, module_scope: Scope, text: str = "") -> None:
        self.once = import_once(tree)
        # only a file that says "cache" somewhere can turn caching off by a flag
        self.cache_off = cache_off_values(tree) if "cach" in text.lower() else set()
        self.module_scope = module_scope
        self.site: Site | None = None

    def fixed(self, name: str, entries: list[tuple[str, ast.expr]], scope: Scope) -> str | None:
        """Why the value of `name` (made of `entries`, found in `scope`) is not a per-call value."""
        if name in scope.bindings or not entries:
            return None
        if scope is self.module_scope:
            if all(id(node) in self.once for _, node in entries):
                return f"`{name}` is computed once, at import"
            return None
        site = self.site
        if site is not None and scope.assigns is site.assigns:
            if all(node.lineno < site.loop_line for _, node in entries):
                return f"`{name}` is set once, before the loop that sends the calls"
        return None

    def apply(self, name: str, entries: list[tuple[str, ast.expr]], scope: Scope, pieces: list[Piece]) -> list[Piece]:
        """The pieces of `name`, settled when its value is fixed between calls."""
        if entries and all(id(node) in self.cache_off for _, node in entries):
            off = f"`{name}` is set only when prefix caching is turned off on purpose"
            return [replace(p, volatility=CONSTANT, reason=off) if p.kind == "slot" else p for p in pieces]
        why = self.fixed(name, entries, scope)
        return settle(pieces, why) if why is not None else pieces

    def elsewhere(self, name: str, pieces: list[Piece]) -> list[Piece]:
        """A module constant or class attribute of another module: computed once, when it is defined."""
        return settle(pieces, f"`{name}` is computed once, where it is defined")


def document_parameter(code: str, params: set[str]) -> str | None:
    """Why a parameter named like a document is not a per-call value by itself, or None.

    `doc`, `document`, `context`, `book`: the calls about the same document share its cache
    entry (Anthropic's contextual-retrieval example caches the document and asks about one
    chunk after another), so the value does not change between the calls that share it.
    """
    if code not in params:
        return None
    words = {w.lower() for w in _WORD.findall(code)}
    if words & _DOCUMENT_WORDS:
        return f"`{code}` is a document: the calls about the same document share its cache entry"
    return None


def keyed_by_document(piece: Piece, params: set[str]) -> Piece:
    """A slot of unknown volatility holding a document parameter, settled (see `document_parameter`)."""
    if piece.kind != "slot" or piece.volatility != UNKNOWN:
        return piece
    why = document_parameter(piece.text, params)
    return replace(piece, volatility=CONSTANT, reason=why) if why is not None else piece


def settle(pieces: list[Piece], why: str) -> list[Piece]:
    """The slots of a value computed once: constant for the calls that share it.

    A clock time or a random value computed once still differs between processes (each
    process computes its own): such a slot is marked as differing between processes.
    """
    out: list[Piece] = []
    for p in pieces:
        if p.kind != "slot" or p.volatility == CONSTANT:
            out.append(p)
            continue
        nondet = p.nondet
        if p.volatility == REQUEST or (p.volatility == TIME and not _daily(p.text)):
            nondet = nondet or f"a clock or random value computed once per process ({why.split(' is ')[0]})"
        out.append(replace(p, volatility=CONSTANT, reason=why, nondet=nondet))
    return out


def _daily(code: str) -> bool:
    """A date, not a time of day: `date.today()`, or `strftime` with no hour, minute or second."""
    low = code.lower()
    if "strftime" in low:
        return not any(f in code for f in _TIME_OF_DAY)
    return ("date.today" in low and "datetime.today" not in low) or low.endswith(".date()")
