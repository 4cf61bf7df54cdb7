"""AIL105: make a Python prompt's order-dependent value render in a fixed order.

The value the finding points at (and what its local names were last assigned in the same
function) is read with libcst and repaired with insertions only, so the call's layout stays:

- `json.dumps(...)` without `sort_keys` gets `, sort_keys=True` after its last argument (a
  multi-line call with a trailing comma gets a `sort_keys=True,` line of its own);
- a set (`set(...)`, `frozenset(...)`, a set literal or comprehension, or a local name bound to
  one) iterated by `str.join` or a comprehension gets `sorted(...)` around it, as does a
  comprehension over `d.keys()` or `d.items()`.

A value with an order hazard these do not cover (a set passed elsewhere, a join over
`d.values()`) gets no fix. Notebooks are not fixed: their spans point into the notebook's JSON.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from aiinfralint.fixes.base import FixContext
from aiinfralint.model.finding import Finding, Fix, TextEdit

if TYPE_CHECKING:
    import libcst as cst
    from libcst.metadata import CodeRange

SET_CALLS = frozenset({"set", "frozenset"})
ORDER_FREE = frozenset({"sorted", "min", "max", "sum", "len", "any", "all"})
# how deep local names are followed back to their assignments
MAX_DEPTH = 3


class _Unfixable(Exception):
    """The value holds an order hazard no insertion repairs."""


def fix(finding: Finding, text: str, ctx: FixContext) -> Fix | None:
    if not finding.span.path.endswith(".py"):
        return None
    # lazy: libcst takes ~300 ms to import, which only a run fixing a Python finding needs
    import libcst as cst
    from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider  # lazy: as libcst

    try:
        wrapper = MetadataWrapper(cst.parse_module(text), unsafe_skip_copy=True)
    except cst.ParserSyntaxError:
        return None
    fixer = _Fixer(text, wrapper.resolve(PositionProvider), wrapper.resolve(ParentNodeProvider))
    slot = fixer.slot_at(finding.span.line, finding.span.column)
    if slot is None:
        return None
    try:
        fixer.scan(fixer.prompt_of(slot), 0)
    except _Unfixable:
        return None
    if not fixer.edits:
        return None
    what = " and ".join(sorted(fixer.what))
    return Fix(
        description=f"render the prompt's value in a fixed order: {what}",
        safety="safe",
        path=finding.span.path,
        edits=tuple(sorted(fixer.edits.values(), key=lambda e: (e.start_line, e.start_column))),
    )


class _Fixer:
    def __init__(self, text: str, positions: object, parents: object) -> None:
        self.lines = text.splitlines(keepends=True)
        self.pos: dict[cst.CSTNode, CodeRange] = positions  # type: ignore[assignment]
        self.parents: dict[cst.CSTNode, cst.CSTNode] = parents  # type: ignore[assignment]
        self.edits: dict[tuple[int, int, str], TextEdit] = {}
        self.what: set[str] = set()

    def slot_at(self, line: int, column: int) -> cst.BaseExpression | None:
        """The outermost expression starting at the finding's 1-based line and column."""
        import libcst as cst  # lazy: see fix()

        best: cst.BaseExpression | None = None
        for node, where in self.pos.items():
            if not isinstance(node, cst.BaseExpression) or (where.start.line, where.start.column + 1) != (line, column):
                continue
            if best is None or (where.end.line, where.end.column) > (
                self.pos[best].end.line,
                self.pos[best].end.column,
            ):
                best = node
        return best

    def prompt_of(self, slot: cst.BaseExpression) -> cst.CSTNode:
        """The whole string the slot is interpolated into (its other values are fixed in the same pass)."""
        import libcst as cst  # lazy: see fix()

        node: cst.CSTNode = slot
        parent = self.parents.get(node)
        while isinstance(
            parent, cst.FormattedStringExpression | cst.FormattedString | cst.ConcatenatedString | cst.BinaryOperation
        ):
            node = parent
            parent = self.parents.get(node)
        return node

    def scan(self, root: cst.CSTNode, depth: int) -> None:
        """Repair the hazards under `root`, following local names to their last assignment."""
        import libcst as cst  # lazy: see fix()

        for node, ordered in _walk(root):
            if isinstance(node, cst.Name) and depth < MAX_DEPTH and self.is_reference(node):
                value = self.binding(node)
                # a set bound to a name and iterated where it is used is wrapped there
                if value is not None and not (self.is_set(value, depth) and self.is_iterated(node)):
                    self.scan(value, depth + 1)
            if ordered:
                continue
            if isinstance(node, cst.Call):
                self.call(node)
            elif isinstance(node, cst.CompFor):
                self.iterated(node.iter)
            elif isinstance(node, (cst.Set, cst.SetComp)) and not self.is_iterated(node):
                raise _Unfixable

    def call(self, node: cst.Call) -> None:
        import libcst as cst  # lazy: see fix()

        name = _code(node.func)
        if name.endswith("dumps") and node.args:
            self.sort_keys(node)
        if name in SET_CALLS and not self.is_iterated(node):
            raise _Unfixable
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "join" and node.args:
            arg = node.args[0].value
            if not isinstance(arg, cst.GeneratorExp | cst.ListComp):
                self.iterated(arg)

    def sort_keys(self, call: cst.Call) -> None:
        if any(a.keyword is not None and a.keyword.value == "sort_keys" for a in call.args):
            return
        if any(a.star for a in call.args):
            return
        last = self.pos[call.args[-1].value].end
        closing = self.closing_paren(last.line, last.column)
        if closing is None:
            raise _Unfixable
        line, col = closing
        own_line = call.args[-1].comma is not None and line > last.line and not self.lines[line - 1][:col].strip()
        if own_line:
            start = self.pos[call.args[-1]].start
            indent = self.lines[start.line - 1][: start.column]
            if not indent.strip():
                self.add(
                    TextEdit(
                        start_line=line, start_column=1, end_line=line, end_column=1, text=f"{indent}sort_keys=True,\n"
                    )
                )
                self.what.add("`sort_keys=True` on `json.dumps`")
                return
        self.add(
            TextEdit(
                start_line=last.line,
                start_column=last.column + 1,
                end_line=last.line,
                end_column=last.column + 1,
                text=", sort_keys=True",
            )
        )
        self.what.add("`sort_keys=True` on `json.dumps`")

    def closing_paren(self, line: int, column: int) -> tuple[int, int] | None:
        """(1-based line, 0-based column) of the `)` after a call's last argument."""
        while line <= len(self.lines):
            text = self.lines[line - 1]
            while column < len(text):
                ch = text[column]
                if ch == ")":
                    return line, column
                if ch == "#":
                    break
                if not (ch.isspace() or ch in ",\\"):
                    return None
                column += 1
            line, column = line + 1, 0
        return None

    def iterated(self, expr: cst.BaseExpression) -> None:
        """Wrap an iterated expression in `sorted(...)` when it is a set or a dict's keys or items."""
        if not self.is_set(expr, 0) and not _is_view(expr):
            return
        where = self.pos[expr]
        self.add(
            TextEdit(
                start_line=where.start.line,
                start_column=where.start.column + 1,
                end_line=where.start.line,
                end_column=where.start.column + 1,
                text="sorted(",
            )
        )
        self.add(
            TextEdit(
                start_line=where.end.line,
                start_column=where.end.column + 1,
                end_line=where.end.line,
                end_column=where.end.column + 1,
                text=")",
            )
        )
        self.what.add("`sorted(...)` around set iteration")

    def is_set(self, expr: cst.BaseExpression, depth: int) -> bool:
        import libcst as cst  # lazy: see fix()

        if isinstance(expr, cst.Set | cst.SetComp):
            return True
        if isinstance(expr, cst.Call):
            return _code(expr.func) in SET_CALLS
        if isinstance(expr, cst.Name) and depth < MAX_DEPTH:
            value = self.binding(expr)
            return value is not None and self.is_set(value, depth + 1)
        return False

    def is_iterated(self, node: cst.CSTNode) -> bool:
        """Whether a set expression sits where it is iterated (a join's argument, a comprehension's `in`)."""
        import libcst as cst  # lazy: see fix()

        parent = self.parents.get(node)
        if isinstance(parent, cst.CompFor):
            return parent.iter is node
        if isinstance(parent, cst.Arg):
            call = self.parents.get(parent)
            return (
                isinstance(call, cst.Call)
                and isinstance(call.func, cst.Attribute)
                and call.func.attr.value == "join"
                and call.args[0] is parent
            )
        return False

    def is_reference(self, name: cst.Name) -> bool:
        """Whether a name reads a variable (not an attribute's or a keyword argument's name)."""
        import libcst as cst  # lazy: see fix()

        parent = self.parents.get(name)
        if isinstance(parent, cst.Attribute):
            return parent.value is name
        if isinstance(parent, cst.Arg):
            return parent.value is name
        return not isinstance(parent, cst.FunctionDef | cst.Param | cst.Call) or (
            isinstance(parent, cst.Call) and parent.func is not name
        )

    def binding(self, name: cst.Name) -> cst.BaseExpression | None:
        """The value a local name was last assigned before it is used, in its function."""
        import libcst as cst  # lazy: see fix()

        scope = self.parents.get(name)
        while scope is not None and not isinstance(scope, cst.FunctionDef | cst.Module):
            scope = self.parents.get(scope)
        if not isinstance(scope, cst.FunctionDef):
            return None
        use = self.pos[name].start.line
        found: cst.BaseExpression | None = None
        for node, _ in _walk(scope.body):
            if isinstance(node, cst.Assign) and self.pos[node].start.line < use:
                targets = node.targets
                if len(targets) == 1 and isinstance(targets[0].target, cst.Name):
                    if targets[0].target.value == name.value:
                        found = node.value
        return found

    def add(self, edit: TextEdit) -> None:
        self.edits[(edit.start_line, edit.start_column, edit.text)] = edit


def _walk(root: cst.CSTNode) -> Iterator[tuple[cst.CSTNode, bool]]:
    """Nodes under `root` in source order, each with whether an order-free call (`sorted`) holds it."""
    import libcst as cst  # lazy: see fix()

    stack: list[tuple[cst.CSTNode, bool]] = [(root, False)]
    while stack:
        node, ordered = stack.pop()
        yield node, ordered
        if isinstance(node, cst.FunctionDef | cst.ClassDef | cst.Lambda) and node is not root:
            continue
        inner = ordered or (isinstance(node, cst.Call) and _code(node.func) in ORDER_FREE)
        stack.extend((child, inner) for child in reversed(node.children))


def _is_view(expr: cst.BaseExpression) -> bool:
    import libcst as cst  # lazy: see fix()

    return (
        isinstance(expr, cst.Call)
        and not expr.args
        and isinstance(expr.func, cst.Attribute)
        and expr.func.attr.value in ("keys", "items")
    )


def _code(node: cst.CSTNode) -> str:
    """Dotted name of a callee (`json.dumps`), or '' for anything else."""
    import libcst as cst  # lazy: see fix()

    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _code(node.value)
        return f"{base}.{node.attr.value}" if base else node.attr.value
    return ""
