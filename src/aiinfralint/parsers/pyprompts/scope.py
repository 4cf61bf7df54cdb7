"""Names visible while a prompt is rendered, collected from an `ast` tree.

A `Scope` maps a name to its assignments in source order: `(line, "=" | "+=", expression)`.
The module scope holds module constants; a function's scope holds its locals and parameter
names; `bindings` hold the arguments of a helper call being inlined. Top-level functions are
kept by name so that a small helper returning a string can be followed.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

FUNCTION_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef)
Function = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass
class Scope:
    """A function's locals and parameters, the module's constants, or a helper call's bindings."""

    assigns: dict[str, list[tuple[int, str, ast.expr]]] = field(default_factory=dict)
    params: set[str] = field(default_factory=set)
    bindings: dict[str, tuple[ast.expr, Scope]] = field(default_factory=dict)
    name: str = "<module>"


def collect(body: list[ast.stmt], scope: Scope, functions: dict[str, Function] | None = None) -> None:
    """Record the assignments of `body` (and of its if/with/for/try blocks) into `scope`.

    `functions` (module level only) receives the top-level function definitions by name.
    An explicit stack keeps the walk flat however deep the blocks nest.
    """
    stack: list[list[ast.stmt]] = [list(reversed(body))]
    while stack:
        pending = stack[-1]
        if not pending:
            stack.pop()
            continue
        stmt = pending.pop()
        if isinstance(stmt, FUNCTION_TYPES):
            if functions is not None:
                functions[stmt.name] = stmt
            continue
        if isinstance(stmt, ast.ClassDef):
            continue
        if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            _assignment(stmt, scope)
            continue
        inner = getattr(stmt, "body", None)
        if isinstance(inner, list):
            # if/with/for/while/try blocks: their assignments count too (then their `else`)
            orelse = getattr(stmt, "orelse", None) or []
            stack.append(list(reversed(orelse)))
            stack.append(list(reversed(inner)))


def _assignment(stmt: ast.Assign | ast.AnnAssign | ast.AugAssign, scope: Scope) -> None:
    if isinstance(stmt, ast.Assign):
        if len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            scope.assigns.setdefault(stmt.targets[0].id, []).append((stmt.lineno, "=", stmt.value))
    elif isinstance(stmt, ast.AnnAssign):
        if isinstance(stmt.target, ast.Name) and stmt.value is not None:
            scope.assigns.setdefault(stmt.target.id, []).append((stmt.lineno, "=", stmt.value))
    elif isinstance(stmt.target, ast.Name) and isinstance(stmt.op, ast.Add):
        scope.assigns.setdefault(stmt.target.id, []).append((stmt.lineno, "+=", stmt.value))


def function_scope(func: Function) -> Scope:
    """The locals and parameter names of a function."""
    scope = Scope(name=func.name)
    a = func.args
    for p in (*a.posonlyargs, *a.args, *a.kwonlyargs):
        scope.params.add(p.arg)
    for star in (a.vararg, a.kwarg):
        if star is not None:
            scope.params.add(star.arg)
    collect(func.body, scope)
    return scope


def defaults(func: Function) -> dict[str, ast.expr]:
    """Default values of the (non positional-only) and keyword-only parameters of a function."""
    a = func.args
    positional = [*a.posonlyargs, *a.args]
    out: dict[str, ast.expr] = {}
    for p, d in zip(positional[len(positional) - len(a.defaults) :], a.defaults, strict=True):
        if p in a.args:
            out[p.arg] = d
    for p, kd in zip(a.kwonlyargs, a.kw_defaults, strict=True):
        if kd is not None:
            out[p.arg] = kd
    return out
