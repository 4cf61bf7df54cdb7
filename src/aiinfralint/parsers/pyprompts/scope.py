"""Names visible while a prompt is rendered, collected from an `ast` tree.

A `Scope` maps a name to its assignments in source order: `(line, "=" | "+=", expression)`.
The module scope holds module constants; a function's scope holds its locals and parameter
names; `bindings` hold the arguments of a helper call being inlined. Top-level functions are
kept by name so that a small helper returning a string can be followed. `imports` lists the
names a module binds by `import` / `from ... import` (at top level and in its if/try blocks):
a name that is neither local nor a module constant but imported is text defined in another
module, which the project-wide link step (`pyprompts.link`) can read.
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


@dataclass(frozen=True)
class Imported:
    """What a module-level name is bound to by an import statement."""

    module: str  # as written after `from` / `import` (`""` for `from . import x`)
    level: int  # leading dots of a relative import
    name: str | None = None  # `from module import name`; None for `import module [as alias]`

    def describe(self) -> str:
        return "." * self.level + self.module


def imports(tree: ast.Module) -> dict[str, Imported]:
    """Local name (`lead_prompt`, `P`, `pkg.prompts`) -> the import that binds it."""
    out: dict[str, Imported] = {}
    stack: list[list[ast.stmt]] = [list(tree.body)]
    while stack:
        for stmt in stack.pop():
            if isinstance(stmt, ast.ImportFrom):
                for alias in stmt.names:
                    if alias.name != "*":
                        out[alias.asname or alias.name] = Imported(stmt.module or "", stmt.level, alias.name)
            elif isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    out[alias.asname or alias.name] = Imported(alias.name, 0)
            elif isinstance(stmt, (ast.If, ast.Try)):
                stack.append(stmt.body)
                stack.append(stmt.orelse)
                if isinstance(stmt, ast.Try):
                    stack.extend(h.body for h in stmt.handlers)
    return out


def bound_import(table: dict[str, Imported], name: str) -> tuple[Imported, str] | None:
    """The import binding the longest head of a dotted name, and the rest (`P.SYSTEM` -> (P, "SYSTEM"))."""
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        found = table.get(".".join(parts[:n]))
        if found is not None:
            return found, ".".join(parts[n:])
    return None


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
