"""A module's definitions as plain data (`ir.Definition`): what other modules' prompts can use.

Module constants, small top-level functions that return a string (their parameters become
slots), and class attributes (`Class.attr`) are rendered in their own module's scope. Values
that render to nothing but one unknown slot are left out: they say nothing another module
could not say itself.
"""

from __future__ import annotations

import ast

from aiinfralint.model.prompt import UNKNOWN
from aiinfralint.parsers.pyprompts.evaluate import MAX_HELPER_STATEMENTS, Evaluator, Piece
from aiinfralint.parsers.pyprompts.ir import (
    ATTRIBUTE_KIND,
    CONSTANT_KIND,
    FUNCTION_KIND,
    Definition,
    ExternalLookup,
    Part,
)
from aiinfralint.parsers.pyprompts.scope import FUNCTION_TYPES, Scope, collect
from aiinfralint.parsers.pyprompts.source import Source


def definitions(
    path: str, tree: ast.Module, source: Source, external: ExternalLookup | None = None
) -> tuple[Definition, ...]:
    """The constants, string-returning functions and class attributes `tree` defines.

    `external` resolves what the module itself imports (the link step follows imports a few hops).
    """
    ev = Evaluator(tree, source, external)
    out: list[Definition] = []
    for name, entries in ev.module_scope.assigns.items():
        line, _, value = entries[-1]
        _add(out, Definition(path, name, CONSTANT_KIND, line, _parts(path, ev.render(value, ev.module_scope))))
    for name, func in ev.functions.items():
        ret = _returned(func)
        if ret is None:
            continue
        scope = ev.scope_for(func)
        params = tuple(p.arg for p in (*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs))
        parts = _parts(path, ev.render(ret, scope))
        _add(out, Definition(path, name, FUNCTION_KIND, func.lineno, parts, params))
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef):
            out.extend(_class_attributes(path, stmt, ev))
    return tuple(out)


def _class_attributes(path: str, cls: ast.ClassDef, ev: Evaluator) -> list[Definition]:
    scope = Scope(name=cls.name)
    collect(cls.body, scope)
    out: list[Definition] = []
    for name, entries in scope.assigns.items():
        line, _, value = entries[-1]
        parts = _parts(path, ev.render(value, scope))
        _add(out, Definition(path, f"{cls.name}.{name}", ATTRIBUTE_KIND, line, parts))
    return out


def _returned(func: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.expr | None:
    """The value of the last top-level `return` of a small function (as helpers are inlined)."""
    if not isinstance(func, FUNCTION_TYPES) or len(func.body) > MAX_HELPER_STATEMENTS:
        return None
    ret = None
    for stmt in func.body:
        if isinstance(stmt, ast.Return) and stmt.value is not None:
            ret = stmt.value
    return ret


def _parts(path: str, pieces: list[Piece]) -> tuple[Part, ...]:
    return tuple(
        Part(p.kind, p.text, p.path or path, p.line, p.col, p.volatility, p.reason, p.nondet)
        for p in pieces
        if p.kind == "slot" or p.text
    )


def _add(out: list[Definition], d: Definition) -> None:
    if not d.parts or (len(d.parts) == 1 and d.parts[0].kind == "slot" and d.parts[0].volatility == UNKNOWN):
        return
    out.append(d)
