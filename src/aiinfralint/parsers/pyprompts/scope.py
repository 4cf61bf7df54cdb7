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
from collections.abc import Callable
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
    # the class a method belongs to (`self.x` is looked up in it)
    owner: str | None = None


@dataclass
class ClassMembers:
    """What a class defines: its class-level assignments, and `self.x = value` in `__init__`."""

    scope: Scope
    init: dict[str, tuple[ast.expr, Function]] = field(default_factory=dict)


def class_members(cls: ast.ClassDef) -> ClassMembers:
    members = ClassMembers(Scope(name=cls.name))
    collect(cls.body, members.scope)
    for stmt in cls.body:
        if isinstance(stmt, FUNCTION_TYPES) and stmt.name == "__init__":
            for node in ast.walk(stmt):
                if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for t in targets:
                        if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self":
                            members.init.setdefault(t.attr, (node.value, stmt))
    return members


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


# the module file itself, as the first part of a path built from `__file__`
_SELF = "<__file__>"
_PATH_CALLS = frozenset({"Path", "pathlib.Path", "PurePath", "os.path.abspath", "os.path.realpath", "str"})
_SAME_PATH = frozenset({"resolve", "absolute", "expanduser"})


def module_relative_path(node: ast.expr, resolve: Callable[[ast.expr], ast.expr], depth: int = 0) -> str | None:
    """The path a file-reading expression names, relative to its module's folder, or None if not static.

    Understood: `__file__`, `Path(...)`, `.parent`, `os.path.dirname`, `/`, `os.path.join`,
    `.with_name(...)`, `.joinpath(...)` and string literals (`open("policy.md")` is read as relative
    to the module). Names are followed with `resolve`. An absolute path is not the project's.
    """
    parts = _path_parts(node, resolve, depth)
    if not parts or parts[-1] in (_SELF, "..") or _SELF in parts or parts[0].startswith("/"):
        return None
    return "/".join(p for p in parts if p not in ("", "."))


def _path_parts(node: ast.expr, resolve: Callable[[ast.expr], ast.expr], depth: int) -> list[str] | None:
    if depth > 8:
        return None
    node = resolve(node)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.split("/") if node.value else []
    if isinstance(node, ast.Name) and node.id == "__file__":
        return [_SELF]
    if isinstance(node, ast.Attribute) and node.attr == "parent":
        inner = _path_parts(node.value, resolve, depth + 1)
        return _parent(inner) if inner is not None else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        return _join([node.left, node.right], resolve, depth)
    if not isinstance(node, ast.Call) or any(isinstance(a, ast.Starred) for a in node.args):
        return None
    fn = dotted(node.func)
    if fn in _PATH_CALLS and len(node.args) == 1:
        return _path_parts(node.args[0], resolve, depth + 1)
    if fn == "os.path.dirname" and len(node.args) == 1:
        inner = _path_parts(node.args[0], resolve, depth + 1)
        return _parent(inner) if inner is not None else None
    if fn == "os.path.join" and node.args:
        return _join(node.args, resolve, depth)
    if isinstance(node.func, ast.Attribute):
        method = node.func.attr
        if method in _SAME_PATH and not node.args:
            return _path_parts(node.func.value, resolve, depth + 1)
        if method == "joinpath" and node.args:
            return _join([node.func.value, *node.args], resolve, depth)
        if method == "with_name" and len(node.args) == 1:
            base = _path_parts(node.func.value, resolve, depth + 1)
            name = _path_parts(node.args[0], resolve, depth + 1)
            return _parent(base) + name if base is not None and name is not None else None
    return None


def dotted(node: ast.expr) -> str:
    """`a.b.c` for a chain of attributes on a name, "" for anything else."""
    names: list[str] = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return ""
    names.append(node.id)
    return ".".join(reversed(names))


def _join(nodes: list[ast.expr], resolve: Callable[[ast.expr], ast.expr], depth: int) -> list[str] | None:
    out: list[str] = []
    for n in nodes:
        part = _path_parts(n, resolve, depth + 1)
        if part is None:
            return None
        out = part if part and part[0].startswith("/") else out + part
    return out


def _parent(parts: list[str]) -> list[str]:
    if parts and parts[-1] not in ("..", ""):
        return parts[:-1]
    return [*parts, ".."]
