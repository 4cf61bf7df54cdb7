"""Small readings of a Python `ast` shared by the readers of retries, rerankers and vector stores.

Nothing here executes code: names resolve only to literal numbers and strings written in the
same file (module constants, a function's own assignments, parameter defaults). Walks are
iterative, so a deeply nested file cannot exhaust the stack.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from aiinfralint.model.base import ModelObject
from aiinfralint.parsers.base import FileInput, ParseOutput
from aiinfralint.parsers.pysource import module
from aiinfralint.parsers.registry import FileParser

FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
Function = ast.FunctionDef | ast.AsyncFunctionDef
Chain = tuple[Function, ...]

_OPS: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


# the last module walked: every reader of a file walks the same tree, so it is walked once
_last: tuple[ast.Module, list[tuple[ast.AST, Chain]]] | None = None


def walk(tree: ast.AST) -> Iterator[tuple[ast.AST, Chain]]:
    """Every node with the functions that enclose it (outermost first), in source order.

    A whole module is walked once and remembered for the next reader of the same tree.
    """
    global _last
    if not isinstance(tree, ast.Module):
        return _walk(tree)
    if _last is None or _last[0] is not tree:
        _last = (tree, list(_walk(tree)))
    return iter(_last[1])


def nodes(tree: ast.Module) -> Iterator[ast.AST]:
    """Every node of a module (the remembered walk, without the enclosing functions)."""
    return (node for node, _ in walk(tree))


def _walk(tree: ast.AST) -> Iterator[tuple[ast.AST, Chain]]:
    stack: list[tuple[ast.AST, Chain]] = [(tree, ())]
    while stack:
        node, chain = stack.pop()
        yield node, chain
        inner = (*chain, node) if isinstance(node, FUNCS) else chain
        stack.extend((c, inner) for c in reversed(list(ast.iter_child_nodes(node))))


def body_nodes(stmts: list[ast.stmt], stop: tuple[type[ast.AST], ...] = ()) -> Iterator[ast.AST]:
    """The nodes of `stmts`, not looking inside nested functions, classes, lambdas or `stop` nodes."""
    stack: list[ast.AST] = list(reversed(stmts))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (*FUNCS, ast.ClassDef, ast.Lambda, *stop)):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def dotted(node: ast.AST) -> str | None:
    """`openai.error.RateLimitError` -> "openai.error.RateLimitError"; None for anything else."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def call_name(node: ast.Call) -> str | None:
    return dotted(node.func)


def kwarg(call: ast.Call, name: str) -> ast.expr | None:
    for k in call.keywords:
        if k.arg == name:
            return k.value
    return None


def function_label(chain: Chain) -> str:
    return ".".join(f.name for f in chain) if chain else "<module>"


_last_names: tuple[ast.Module, Names] | None = None


@dataclass
class Names:
    """Imports and literal constants of one module, for resolving names without running code."""

    imports: dict[str, str] = field(default_factory=dict)  # local name -> "module.Name"
    constants: dict[str, ast.expr] = field(default_factory=dict)  # module-level NAME = literal

    @classmethod
    def of(cls, tree: ast.Module) -> Names:
        """The names of `tree`, read once for every reader of the same module."""
        global _last_names
        if _last_names is None or _last_names[0] is not tree:
            _last_names = (tree, cls._read(tree))
        return _last_names[1]

    @classmethod
    def _read(cls, tree: ast.Module) -> Names:
        names = cls()
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module:
                for a in node.names:
                    names.imports[a.asname or a.name] = f"{node.module}.{a.name}"
            elif isinstance(node, ast.Import):
                for a in node.names:
                    names.imports[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                names.constants[node.targets[0].id] = node.value
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
                names.constants[node.target.id] = node.value
        # imports inside functions (a lazy `from openai import RateLimitError`) count too
        for inner in nodes(tree):
            if isinstance(inner, ast.ImportFrom) and inner.module:
                for a in inner.names:
                    names.imports.setdefault(a.asname or a.name, f"{inner.module}.{a.name}")
        return names

    def qualified(self, node: ast.AST) -> str | None:
        """The dotted name with its first part replaced by what it was imported as."""
        name = dotted(node)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        full = self.imports.get(head, head)
        return f"{full}.{rest}" if rest else full

    def value(self, node: ast.AST | None, chain: Chain = (), depth: int = 0) -> ast.expr | None:
        """A name followed to the literal it was given (function defaults and locals, then the module)."""
        if node is None or depth > 8:
            return None
        if not isinstance(node, ast.Name):
            return node if isinstance(node, ast.expr) else None
        for fn in reversed(chain):
            found = _default(fn, node.id) or _local(fn, node.id)
            if found is not None:
                return self.value(found, chain, depth + 1)
            if node.id in _params(fn):  # a parameter with no default shadows any module constant
                return None
        found = self.constants.get(node.id)
        return self.value(found, (), depth + 1) if found is not None else None

    def resolve(self, node: ast.AST | None, chain: Chain = ()) -> ast.AST | None:
        """`value`, or the node itself when it names something that is not a literal (an import, a class)."""
        found = self.value(node, chain)
        return found if found is not None else node

    def number(self, node: ast.AST | None, chain: Chain = (), depth: int = 0) -> float | None:
        v = self.value(node, chain)
        if v is None or depth > 8:
            return None
        if isinstance(v, ast.Constant) and isinstance(v.value, (int, float)) and not isinstance(v.value, bool):
            return float(v.value)
        if isinstance(v, ast.UnaryOp) and isinstance(v.op, ast.USub):
            inner = self.number(v.operand, chain, depth + 1)
            return -inner if inner is not None else None
        if isinstance(v, ast.BinOp) and type(v.op) in _OPS:
            a, b = self.number(v.left, chain, depth + 1), self.number(v.right, chain, depth + 1)
            if a is None or b is None or (isinstance(v.op, ast.Div) and b == 0):
                return None
            return _OPS[type(v.op)](a, b)
        return None

    def text(self, node: ast.AST | None, chain: Chain = ()) -> str | None:
        v = self.value(node, chain)
        return v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else None


def param_default(fn: Function, name: str) -> ast.expr | None:
    """The default value of parameter `name` of `fn`, if it has one."""
    return _default(fn, name)


def _default(fn: Function, name: str) -> ast.expr | None:
    args = fn.args
    positional = [*args.posonlyargs, *args.args]
    for a, d in zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True):
        if a.arg == name:
            return d
    for a, kd in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        if a.arg == name:
            return kd
    return None


def _params(fn: Function) -> set[str]:
    a = fn.args
    return {x.arg for x in (*a.posonlyargs, *a.args, *a.kwonlyargs)}


def _local(fn: Function, name: str) -> ast.expr | None:
    """The first plain `name = ...` in the function's own body (not nested functions)."""
    for node in body_nodes(fn.body):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return node.value
    return None


def mentions(nodes: Iterator[ast.AST], words: tuple[str, ...]) -> bool:
    """Does any string literal or identifier among `nodes` contain one of `words` (lower case)?"""
    for node in nodes:
        text: str | None = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        elif isinstance(node, ast.Name):
            text = node.id
        elif isinstance(node, ast.Attribute):
            text = node.attr
        elif isinstance(node, (*FUNCS, ast.ClassDef)):
            text = node.name
        if text is not None:
            low = text.lower()
            if any(w in low for w in words):
                return True
    return False


def fact_parser(
    name: str, gate: re.Pattern[str], read: Callable[[FileInput, ast.Module], Sequence[ModelObject]]
) -> FileParser:
    """The `FileParser` of a reader of facts from Python code: it claims a `.py` file whose text
    matches `gate`, reads the tree every Python reader shares, and leaves a syntax error to the
    prompt reader (so it is reported once)."""

    def claims(f: FileInput) -> bool:
        return f.suffix == ".py" and gate.search(f.text) is not None

    def parse(f: FileInput) -> ParseOutput:
        tree = module(f).tree
        if tree is None:
            return ParseOutput()
        found = list(read(f, tree))
        return ParseOutput(objects=found, claimed=bool(found))

    return FileParser(name=name, claims=claims, parse=parse)
