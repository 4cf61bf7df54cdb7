"""Expressions that build strings -> `Piece`s of text and dynamic slots (nothing is executed).

Strings, f-strings, `.format`, `%`, `+`, `"".join([...])`, `textwrap.dedent`, `str()`, text
methods, module constants, local assignments (`=` and `+=`) and small same-module helper
functions are followed; anything else becomes a slot whose volatility comes from its code.
Every name goes through `Evaluator.lookup` (locals, then module constants, then the bindings
of an inlined helper call). Depth is bounded by `MAX_DEPTH`; walks over subtrees are iterative.
"""

from __future__ import annotations

import ast
import bisect
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache

from aiinfralint.model.prompt import CONSTANT, UNKNOWN, LinkRef
from aiinfralint.parsers.prompt_slots import classify
from aiinfralint.parsers.pyprompts.ir import FUNCTION_KIND, Definition, ExternalLookup
from aiinfralint.parsers.pyprompts.scope import (
    FUNCTION_TYPES,
    ClassMembers,
    Function,
    Scope,
    bound_import,
    class_members,
    collect,
    defaults,
    dotted,
    function_scope,
    imports,
    module_relative_path,
)
from aiinfralint.parsers.pyprompts.source import Source, StringToken, fstring_parts

FMT_FIELD = re.compile(r"(?<!\{)\{([A-Za-z_][\w]*|\d*)(?:[.\[][^{}!:]*)?(?:![rsa])?(?::[^{}]*)?\}(?!\})")
# flags then width: possessive, since `0` is both (`%000...0x` was quadratic)
_PCT_FIELD = re.compile(r"%(?:\((\w+)\))?[-#0 +]*+\d*+(?:\.\d+)?[sdifr]")
_TEXT_METHODS = frozenset({"strip", "lstrip", "rstrip", "upper", "lower", "title", "capitalize", "casefold"})
_DEDENT = frozenset({"dedent", "cleandoc"})
_ORDER_FREE = frozenset({"sorted", "min", "max", "sum", "len", "any", "all"})  # results ignore input order
_SET_ORDER = "iteration over a set (order changes between processes)"
_CONSTANT_CALLS = frozenset({"json.dumps", "dumps", "str", "sorted", "len", "repr", "list", "tuple"})
_DICT_VIEW = re.compile(r"\.(keys|values|items)\(\)")
MAX_DEPTH = 8
# what `external` is asked for the text of a file read from disk: this prefix and the path
# relative to the module's folder
FILE_LINK = "file:"
MAX_HELPER_STATEMENTS = 40


@dataclass
class Piece:
    kind: str  # "text" | "slot"
    text: str
    line: int
    col: int
    volatility: str | None = None
    reason: str | None = None
    nondet: str | None = None
    path: str | None = None  # set when the text was written in another file (an external definition)
    # a slot for text defined in another module or file: why it is not read here, and where it is
    unresolved: str | None = None
    link: LinkRef | None = None


def args_of(call: ast.Call) -> list[tuple[str | None, ast.expr, bool]]:
    """(keyword or None, value, starred) for every argument of a call, positional first."""
    out: list[tuple[str | None, ast.expr, bool]] = []
    for a in call.args:
        if isinstance(a, ast.Starred):
            out.append((None, a.value, True))
        else:
            out.append((None, a, False))
    for k in call.keywords:
        out.append((k.arg, k.value, k.arg is None))
    return out


def keyword(call: ast.Call, *names: str) -> ast.expr | None:
    for k in call.keywords:
        if k.arg is not None and k.arg in names:
            return k.value
    return None


def text_value(node: ast.AST | None) -> str | None:
    """The value of a string literal, None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def elements(node: ast.List | ast.Tuple | ast.Set) -> list[ast.expr]:
    return [e.value if isinstance(e, ast.Starred) else e for e in node.elts]


class Evaluator:
    """Renders expressions of one module, resolving names through one lookup."""

    def __init__(self, tree: ast.Module, source: Source, external: ExternalLookup | None = None) -> None:
        self.src = source
        self.external = external
        self.module_scope = Scope()
        self.functions: dict[str, Function] = {}
        self.func_scopes: dict[int, Scope] = {}
        # settles the pieces of a name whose value is fixed between calls (data flow, set by the caller)
        self.settle: Callable[[str, list[tuple[str, ast.expr]], Scope, list[Piece]], list[Piece]] | None = None
        self.settle_elsewhere: Callable[[str, list[Piece]], list[Piece]] | None = None
        collect(tree.body, self.module_scope, self.functions)
        self.imports = imports(tree)
        self.classes = {c.name: c for c in tree.body if isinstance(c, ast.ClassDef)}
        self.owners = {id(m): c.name for c in self.classes.values() for m in c.body if isinstance(m, FUNCTION_TYPES)}
        self._members: dict[str, ClassMembers] = {}

    def scope_for(self, func: Function) -> Scope:
        key = id(func)
        if key not in self.func_scopes:
            self.func_scopes[key] = function_scope(func)
            self.func_scopes[key].owner = self.owners.get(key)
        return self.func_scopes[key]

    # --- name resolution ---------------------------------------------------------------

    def lookup(self, name: str, scope: Scope, line: int) -> tuple[list[tuple[str, ast.expr]], Scope] | None:
        """The assignments that make up `name` at `line`: [("=", node), ("+=", node), ...]."""
        for sc in (scope, self.module_scope):
            if name in sc.bindings:
                node, bound = sc.bindings[name]
                return [("=", node)], bound
            if name in sc.params and sc is scope:
                return None
            entries = sc.assigns.get(name)
            if not entries:
                continue
            before = [e for e in entries if e[0] < line] or (entries if sc is self.module_scope else [])
            if not before:
                continue
            starts = [i for i, e in enumerate(before) if e[1] == "="]
            start = starts[-1] if starts else 0
            return [(op, node) for _, op, node in before[start:]], sc
        return None

    def resolve(self, node: ast.expr, scope: Scope) -> tuple[ast.expr, Scope]:
        """Follow names and helper calls to the expression that builds a value."""
        for _ in range(MAX_DEPTH):
            if isinstance(node, ast.Name):
                found = self.lookup(node.id, scope, node.lineno)
                if not found or len(found[0]) != 1:
                    return node, scope
                node, scope = found[0][0][1], found[1]
                continue
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in self.functions:
                inlined = self.inline(node, scope)
                if inlined is None:
                    return node, scope
                node, scope = inlined
                continue
            return node, scope
        return node, scope

    def inline(self, call: ast.Call, scope: Scope, func: Function | None = None) -> tuple[ast.expr, Scope] | None:
        if func is None:
            assert isinstance(call.func, ast.Name)
            func = self.functions[call.func.id]
        if len(func.body) > MAX_HELPER_STATEMENTS:
            return None
        ret = None
        for stmt in func.body:
            if isinstance(stmt, ast.Return) and stmt.value is not None:
                ret = stmt.value
        if ret is None:
            return None
        base = self.scope_for(func)
        inner = Scope(assigns=base.assigns, params=set(base.params), name=base.name, owner=base.owner)
        params = [p.arg for p in (*func.args.posonlyargs, *func.args.args)]
        if id(func) in self.owners and not any(dotted(d) == "staticmethod" for d in func.decorator_list):
            params = params[1:]  # a method called on `self`: `self` is not among the arguments
        for i, (kw, value, star) in enumerate(args_of(call)):
            if star:
                break
            if kw is not None:
                inner.bindings[kw] = (value, scope)
            elif i < len(params):
                inner.bindings[params[i]] = (value, scope)
        # unbound parameters with defaults keep their defaults
        for name, default in defaults(func).items():
            if name not in inner.bindings:
                inner.bindings[name] = (default, Scope())
        inner.params -= set(inner.bindings)
        return ret, inner

    # --- rendering ------------------------------------------------------------------------

    def render(self, node: ast.expr, scope: Scope, depth: int = 0) -> list[Piece]:
        if depth > MAX_DEPTH:
            return [self.slot(node, scope)]
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
            return self._literal(node)
        if isinstance(node, ast.JoinedStr):
            return self._fstring(node, scope, depth)
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Add):
                return self.render(node.left, scope, depth + 1) + self.render(node.right, scope, depth + 1)
            if isinstance(node.op, ast.Mod):
                tmpl = self.render(node.left, scope, depth + 1)
                if all(p.kind == "text" for p in tmpl):
                    return self._percent(tmpl, node.right, scope, depth)
            return [self.slot(node, scope)]
        if isinstance(node, ast.Name):
            found = self.lookup(node.id, scope, node.lineno)
            if found is None:
                return self._external(node, node.id) or self._imported(node, node.id, scope) or [self.slot(node, scope)]
            entries, sc = found
            pieces: list[Piece] = []
            for _op, value in entries:
                pieces.extend(self.render(value, sc, depth + 1))
            if self.settle is not None:
                pieces = self.settle(node.id, entries, sc, pieces)
            return self.at(pieces, node)
        if isinstance(node, ast.Call):
            return self._render_call(node, scope, depth)
        if isinstance(node, ast.Attribute) and (member := self._member(node, scope, depth)) is not None:
            return member
        if isinstance(node, ast.Attribute) and (self.external is not None or self.imports):
            code = self.src.code(node)
            return self._external(node, code) or self._imported(node, code, scope) or [self.slot(node, scope)]
        return [self.slot(node, scope)]

    def _external(self, node: ast.expr, name: str) -> list[Piece] | None:
        """A name defined elsewhere (another module, a class), asked of the external lookup."""
        if self.external is None:
            return None
        found = self.external(name)
        if found is None or found.kind == FUNCTION_KIND:  # a function is text only when called
            return None
        pieces = [Piece(p.kind, p.text, p.line, p.col, p.volatility, p.reason, p.nondet, p.path) for p in found.parts]
        if self.settle_elsewhere is not None:
            pieces = self.settle_elsewhere(name, pieces)
        return self.at(pieces, node)

    def members(self, cls: str) -> ClassMembers:
        if cls not in self._members:
            self._members[cls] = class_members(self.classes[cls])
        return self._members[cls]

    def _member(self, node: ast.Attribute, scope: Scope, depth: int) -> list[Piece] | None:
        """`self.x` (set in `__init__` or on the class), `self.x.attr` of an instance, `Class.attr`."""
        names = dotted(node).split(".")
        if len(names) < 2:
            return None
        if names[0] == "self" and scope.owner is not None:
            init = self.members(scope.owner).init.get(names[1])
            if init is None:
                return self._class_attr(node, scope.owner, names[1:], scope, depth)
            value, func = init
            if len(names) == 2:
                return self.at(self.render(value, self.scope_for(func), depth + 1), node)
            if isinstance(value, ast.Call):
                value = value.func  # an instance: its class attributes
            cls = dotted(value)
            return self._class_attr(node, cls, names[2:], scope, depth) if cls else None
        if names[0] in self.classes and self.lookup(names[0], scope, node.lineno) is None:
            return self._class_attr(node, names[0], names[1:], scope, depth)
        return None

    def _own_method(self, func: ast.Attribute, scope: Scope) -> Function | None:
        """`self.method` of the class being read, when the method is defined in it."""
        if not (isinstance(func.value, ast.Name) and func.value.id == "self") or scope.owner is None:
            return None
        for stmt in self.classes[scope.owner].body:
            if isinstance(stmt, FUNCTION_TYPES) and stmt.name == func.attr:
                return stmt
        return None

    def _class_attr(
        self, node: ast.Attribute, cls: str, rest: list[str], scope: Scope, depth: int
    ) -> list[Piece] | None:
        if cls in self.classes:
            entries = self.members(cls).scope.assigns.get(rest[0]) if len(rest) == 1 else None
            if not entries:
                return None
            return self.at(self.render(entries[-1][2], self.members(cls).scope, depth + 1), node)
        name = ".".join([cls, *rest])
        return self._external(node, name) or self._imported(node, name, scope)

    def _imported(self, node: ast.expr, name: str, scope: Scope) -> list[Piece] | None:
        """A name imported from another module: a slot the link step can fill from that module."""
        if not isinstance(node, (ast.Name, ast.Attribute)) or not all(p.isidentifier() for p in name.split(".")):
            return None
        found = bound_import(self.imports, name)
        if found is None:
            return None
        imp, rest = found
        if not imp.level and imp.module.split(".", 1)[0] in sys.stdlib_module_names:
            return None  # `sys.platform`, `os.sep`: not prompt text of the project
        symbol = ".".join(p for p in (imp.name, rest) if p)
        if not symbol:
            return None
        piece = self.slot(node, scope)
        piece.unresolved = f"template `{symbol}` imported from `{imp.describe()}`"
        piece.link = LinkRef(module=imp.module, level=imp.level, name=symbol)
        return [piece]

    def _literal(self, node: ast.Constant) -> list[Piece]:
        """A string literal: one piece per token of an implicit concatenation."""
        tokens = self.src.tokens(node)
        if len(tokens) <= 1:
            raw = node.value
            value = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
            if tokens:
                line, col = self.src.line_col(tokens[0].body_start)
            else:
                line, col = self.src.pos(node)
            return [Piece("text", value, line, col)]
        return [self._token_piece(t) for t in tokens]

    def _token_piece(self, t: StringToken) -> Piece:
        text = self.src.text
        line, col = self.src.line_col(t.body_start)
        raw = text[t.body_start - len(t.quote) - len(t.prefix) : t.body_end + len(t.quote)]
        try:
            value = ast.literal_eval(raw)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            value = text[t.body_start : t.body_end]
        if isinstance(value, bytes):
            value = value.decode("utf-8", errors="replace")
        return Piece("text", str(value), line, col)

    def _fstring(self, node: ast.JoinedStr, scope: Scope, depth: int) -> list[Piece]:
        """An f-string (maybe concatenated with plain strings): text runs and interpolated fields."""
        fields = [v for v in node.values if isinstance(v, ast.FormattedValue)]
        out: list[Piece] = []
        used = 0
        text = self.src.text
        for t in self.src.tokens(node):
            if "f" not in t.prefix.lower():
                out.append(self._token_piece(t))
                continue
            body = text[t.body_start : t.body_end]
            raw = "r" in t.prefix.lower()
            for kind, start, end in fstring_parts(body):
                if kind == "text":
                    line, col = self.src.line_col(t.body_start + start)
                    value = _unescape(body[start:end], raw).replace("{{", "{").replace("}}", "}")
                    out.append(Piece("text", value, line, col))
                elif used < len(fields):
                    expr = fields[used].value
                    used += 1
                    out.extend(self.at(self.render(expr, scope, depth + 1), expr))
        if used == len(fields):
            return out
        # the source did not split as the tree did: fall back to the tree's own parts
        line, col = self.src.pos(node)
        out = []
        for v in node.values:
            if isinstance(v, ast.FormattedValue):
                out.extend(self.at(self.render(v.value, scope, depth + 1), v.value))
            elif isinstance(v, ast.Constant) and isinstance(v.value, str):
                out.append(Piece("text", v.value, line, col))
        return out

    def at(self, pieces: list[Piece], ref: ast.expr) -> list[Piece]:
        """A value computed elsewhere but interpolated here: report it where it is used."""
        if len(pieces) == 1 and pieces[0].kind == "slot":
            line, col = self.src.pos(ref)
            p = pieces[0]
            name = self.src.code(ref)
            vol, why = p.volatility, p.reason
            if vol == UNKNOWN:
                vol, why = classify(name)
            return [Piece("slot", name, line, col, vol, why, p.nondet, unresolved=p.unresolved, link=p.link)]
        return pieces

    def _render_call(self, node: ast.Call, scope: Scope, depth: int) -> list[Piece]:
        func = node.func
        args = args_of(node)
        if isinstance(func, ast.Attribute):
            method = func.attr
            own = self._own_method(func, scope)
            if own is not None and (inlined := self.inline(node, scope, own)) is not None:
                return self.at(self.render(inlined[0], inlined[1], depth + 1), node)
            if method in ("read_text", "read"):
                read = self._file_read(node, func, scope)
                if read is not None:
                    return read
            if method == "format":
                tmpl = self.render(func.value, scope, depth + 1)
                if tmpl and all(p.kind == "text" for p in tmpl):
                    return self._format(tmpl, node, scope, depth)
                return [self._linked(self.slot(node, scope), tmpl, func.value)]
            if method == "join" and args:
                return self._join(node, func.value, args[0][1], scope, depth)
            if method in _TEXT_METHODS and not args:
                return self.render(func.value, scope, depth + 1)
            if method in _DEDENT and args:
                return self.render(args[0][1], scope, depth + 1)
        if isinstance(func, ast.Name):
            if func.id in _DEDENT and args:
                return self.render(args[0][1], scope, depth + 1)
            if func.id == "str" and len(args) == 1:
                return self.render(args[0][1], scope, depth + 1)
            if func.id in self.functions:
                inlined = self.inline(node, scope)
                if inlined is not None:
                    return self.at(self.render(inlined[0], inlined[1], depth + 1), node)
        return self._imported_call(node, scope, depth) or [self.slot(node, scope)]

    def _imported_call(self, node: ast.Call, scope: Scope, depth: int) -> list[Piece] | None:
        """A call of a function another module defines: its returned text, when the link step has read it.

        Until then the call stays the slot it always was, only marked for the link step (no
        `unresolved`: most imported calls return values, not prompt text).
        """
        name = dotted(node.func)
        if not name or (isinstance(node.func, ast.Name) and self.lookup(name, scope, node.lineno) is not None):
            return None
        if self.external is not None:
            found = self.external(name)
            if found is not None and found.kind == FUNCTION_KIND:
                pieces = _value_of(self._called(found, node, scope, depth))
                vol, why = classify(self.src.code(node))
                if len(pieces) == 1 and pieces[0].kind == "slot" and vol != UNKNOWN:
                    pieces = [replace(pieces[0], volatility=vol, reason=why)]  # `get_today_str()`: a date
                return self.at(pieces, node)
        imported = bound_import(self.imports, name)
        if imported is None or self.external is not None:
            return None
        imp, rest = imported
        if not imp.level and imp.module.split(".", 1)[0] in sys.stdlib_module_names:
            return None
        piece = self.slot(node, scope)
        symbol = ".".join(p for p in (imp.name, rest) if p)
        piece.link = LinkRef(module=imp.module, level=imp.level, name=symbol, call=True)
        return [piece]

    def _called(self, d: Definition, call: ast.Call, scope: Scope, depth: int) -> list[Piece]:
        """The parts a function of another module returns, its parameters bound to the call's arguments."""
        bound: dict[str, ast.expr] = {}
        for i, (kw, value, star) in enumerate(args_of(call)):
            if star:
                break
            if kw is not None:
                bound[kw] = value
            elif i < len(d.params):
                bound[d.params[i]] = value
        out: list[Piece] = []
        for p in d.parts:
            if p.kind == "slot" and p.text in bound:
                rendered = self.render(bound[p.text], scope, depth + 1)
                if len(rendered) == 1 and rendered[0].kind == "slot":
                    rendered = [replace(rendered[0], line=p.line, col=p.col, path=p.path)]
                out.extend(rendered)
            else:
                out.append(Piece(p.kind, p.text, p.line, p.col, p.volatility, p.reason, p.nondet, p.path))
        return out

    def _file_read(self, node: ast.Call, func: ast.Attribute, scope: Scope) -> list[Piece] | None:
        """`(Path(__file__).parent / "system.md").read_text()`, `open("policy.md").read()`: a prompt file."""
        target = func.value
        if func.attr == "read":
            opened, _ = self.resolve(target, scope)
            if not (isinstance(opened, ast.Call) and self.src.code(opened.func) in ("open", "io.open") and opened.args):
                return None
            target = opened.args[0]
        rel = module_relative_path(target, lambda n: self.resolve(n, scope)[0])
        if rel is None:
            return None
        found = self._external(node, FILE_LINK + rel)
        if found is not None:
            return found
        piece = self.slot(node, scope)
        piece.unresolved = f"prompt file `{rel}` read from disk"
        piece.link = LinkRef(file=rel)
        return [piece]

    def _linked(self, piece: Piece, template: list[Piece], holder: ast.expr) -> Piece:
        """The slot of `template.format(...)` says why the template is unread (imported, or set at run time)."""
        if len(template) == 1 and template[0].link is not None:
            piece.unresolved, piece.link = template[0].unresolved, template[0].link
        elif len(template) == 1 and isinstance(holder, ast.Attribute) and dotted(holder):
            piece.unresolved = f"template `{dotted(holder)}` set at run time (configuration or an argument)"
        return piece

    def _join(self, node: ast.Call, sep_node: ast.expr, arg: ast.expr, scope: Scope, depth: int) -> list[Piece]:
        sep = self.render(sep_node, scope, depth + 1)
        target, tscope = self.resolve(arg, scope)
        if (
            len(sep) == 1
            and sep[0].kind == "text"
            and isinstance(target, (ast.List, ast.Tuple))
            and not any(isinstance(e, ast.Starred) for e in target.elts)
        ):
            out: list[Piece] = []
            for i, el in enumerate(target.elts):
                if i:
                    out.append(Piece("text", sep[0].text, sep[0].line, sep[0].col, path=sep[0].path))
                out.extend(self.render(el, tscope, depth + 1))
            return out
        return [self.slot(node, scope)]

    def _format(self, tmpl: list[Piece], call: ast.Call, scope: Scope, depth: int) -> list[Piece]:
        kwargs = {kw: v for kw, v, _ in args_of(call) if kw is not None}
        positional = [v for kw, v, star in args_of(call) if kw is None and not star]
        auto = 0
        out: list[Piece] = []
        for piece in tmpl:
            pos = 0
            for m in FMT_FIELD.finditer(piece.text):
                out.append(sub(piece, piece.text[pos : m.start()], pos))
                key = m.group(1)
                value = None
                if key == "":
                    value = positional[auto] if auto < len(positional) else None
                    auto += 1
                elif key.isdigit():
                    value = positional[int(key)] if int(key) < len(positional) else None
                else:
                    value = kwargs.get(key)
                line, col = offset_pos(piece, m.start())
                if value is not None:
                    rendered = self.render(value, scope, depth + 1)
                    if len(rendered) == 1 and rendered[0].kind == "slot":
                        out.append(replace(rendered[0], line=line, col=col, path=piece.path))
                    else:
                        out.extend(rendered)
                else:
                    vol, why = classify(key or "value")
                    out.append(Piece("slot", key or m.group(0), line, col, vol, why, path=piece.path))
                pos = m.end()
            out.append(sub(piece, piece.text[pos:].replace("{{", "{").replace("}}", "}"), pos))
        return [p for p in out if p.kind == "slot" or p.text]

    def _percent_values(self, right: ast.expr, scope: Scope) -> tuple[list[ast.expr], dict[str, ast.expr], Scope]:
        target, tscope = self.resolve(right, scope)
        if isinstance(target, ast.Tuple):
            return elements(target), {}, tscope
        if isinstance(target, ast.Dict):
            mapping: dict[str, ast.expr] = {}
            for k, v in zip(target.keys, target.values, strict=True):
                key = text_value(k)
                if key is not None:
                    mapping[key] = v
            return [], mapping, tscope
        return [right], {}, scope

    def _percent(self, tmpl: list[Piece], right: ast.expr, scope: Scope, depth: int) -> list[Piece]:
        values, mapping, tscope = self._percent_values(right, scope)
        out: list[Piece] = []
        i = 0
        for piece in tmpl:
            pos = 0
            for m in _PCT_FIELD.finditer(piece.text):
                out.append(sub(piece, piece.text[pos : m.start()], pos))
                value = mapping.get(m.group(1)) if m.group(1) else (values[i] if i < len(values) else None)
                if not m.group(1):
                    i += 1
                line, col = offset_pos(piece, m.start())
                if value is not None:
                    rendered = self.render(value, tscope, depth + 1)
                    for r in rendered:
                        if r.kind == "slot":
                            r.line, r.col, r.path = line, col, piece.path
                    out.extend(rendered)
                else:
                    out.append(Piece("slot", m.group(0), line, col, UNKNOWN, None, path=piece.path))
                pos = m.end()
            out.append(sub(piece, piece.text[pos:].replace("%%", "%"), pos))
        return [p for p in out if p.kind == "slot" or p.text]

    def slot(self, node: ast.expr, scope: Scope) -> Piece:
        line, col = self.src.pos(node)
        code = self.src.code(node)
        vol, why = classify(code)
        if self.constant(node, scope):
            vol, why = CONSTANT, None
        return Piece("slot", code, line, col, vol, why, self.nondeterministic(node, scope))

    def history(self, node: ast.expr) -> Piece:
        line, col = self.src.pos(node)
        return Piece("slot", self.src.code(node), line, col, UNKNOWN, None)

    def constant(self, node: ast.expr | None, scope: Scope, depth: int = 0) -> bool:
        """Built only from literals and module constants (same on every call)."""
        if node is None or depth > MAX_DEPTH:
            return False
        if isinstance(node, ast.Name):
            name = node.id
            if name in scope.params or name in scope.bindings:
                return False
            if name in scope.assigns and scope is not self.module_scope:
                return False
            entries = self.module_scope.assigns.get(name) or []
            return bool(entries) and all(self.constant(n, self.module_scope, depth + 1) for _, _, n in entries)
        if isinstance(node, ast.Constant):
            return isinstance(node.value, (str, bytes, int, float, bool)) or node.value is None
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            return all(self.constant(e, scope, depth + 1) for e in elements(node))
        if isinstance(node, ast.Dict):
            return all(
                k is not None and self.constant(k, scope, depth + 1) and self.constant(v, scope, depth + 1)
                for k, v in zip(node.keys, node.values, strict=True)
            )
        if isinstance(node, ast.Call):
            fn = self.src.code(node.func)
            if fn in _CONSTANT_CALLS or fn.endswith(".join"):
                recv_ok = (
                    not isinstance(node.func, ast.Attribute)
                    or fn == "json.dumps"
                    or self.constant(node.func.value, scope, depth + 1)
                )
                return recv_ok and all(self.constant(v, scope, depth + 1) for _, v, _ in args_of(node))
            return False
        if isinstance(node, ast.BinOp):
            return self.constant(node.left, scope, depth + 1) and self.constant(node.right, scope, depth + 1)
        return False

    # --- nondeterminism -----------------------------------------------------------------

    def nondeterministic(self, node: ast.expr, scope: Scope, depth: int = 0) -> str | None:
        if depth > 3:
            return None
        target, tscope = self.resolve(node, scope)
        found = self._order_hazards(target, tscope)
        if not found and isinstance(target, ast.Name) and target is not node:
            return None
        # a name bound to a local that iterates a set: `names = set(x)` then `", ".join(names)`
        if not found and isinstance(target, ast.Call):
            for _, value, _ in args_of(target):
                if isinstance(value, ast.Name):
                    inner, iscope = self.resolve(value, tscope)
                    if inner is not value:
                        found_inner = self.nondeterministic(inner, iscope, depth + 1)
                        if found_inner:
                            found.append(found_inner)
        return found[0] if found else None

    def _order_hazards(self, root: ast.AST, scope: Scope) -> list[str]:
        """Sets, unsorted dumps and joins over dict views under `root` (an iterative walk)."""
        found: list[str] = []
        sorted_depth = 0
        stack: list[tuple[ast.AST, bool]] = [(root, True)]
        while stack:
            node, entering = stack.pop()
            if not entering:
                sorted_depth -= 1
                continue
            if isinstance(node, ast.Call):
                fn = self.src.code(node.func)
                if fn in _ORDER_FREE:
                    sorted_depth += 1
                    stack.append((node, False))
                else:
                    self._call_hazard(node, fn, scope, sorted_depth, found)
            elif isinstance(node, (ast.Set, ast.SetComp)) and sorted_depth == 0:
                found.insert(0, _SET_ORDER)
            stack.extend((child, True) for child in reversed(list(ast.iter_child_nodes(node))))
        return found

    def _call_hazard(self, call: ast.Call, fn: str, scope: Scope, sorted_depth: int, found: list[str]) -> None:
        args = args_of(call)
        if fn.endswith("dumps") and args:
            sort = any(kw == "sort_keys" and self.src.code(v) != "False" for kw, v, _ in args)
            arg, ascope = self.resolve(args[0][1], scope)
            literal = isinstance(arg, (ast.Dict, ast.List, ast.Tuple)) and self.constant(arg, ascope)
            if not sort and not literal and not sorted_depth:
                found.append("`json.dumps` without `sort_keys=True`")
        if sorted_depth == 0:
            if fn in ("set", "frozenset"):
                found.insert(0, _SET_ORDER)
            elif isinstance(call.func, ast.Attribute) and call.func.attr == "join" and args:
                arg_code = self.src.code(args[0][1])
                if _DICT_VIEW.search(arg_code) and "sorted(" not in arg_code:
                    found.append("a join over a dict view in insertion order")


def _value_of(pieces: list[Piece]) -> list[Piece]:
    """A value with no words of its own (`f"{now:%a} {now:%b} {now.day}"`) is one slot: the call that made it."""
    slots = [p for p in pieces if p.kind == "slot"]
    if not slots or any(p.kind == "text" and any(c.isalpha() for c in p.text) for p in pieces):
        return pieces
    known = [p for p in slots if p.volatility not in (None, UNKNOWN, CONSTANT)]
    return [(known or slots)[0]]


def sub(piece: Piece, text: str, offset: int) -> Piece:
    line, col = offset_pos(piece, offset)
    return Piece("text", text, line, col, path=piece.path)


@lru_cache(maxsize=8)
def _newlines(text: str) -> list[int]:
    """Offsets of the newlines of a piece's text (asked for once per field of a template)."""
    return [m.start() for m in re.finditer("\n", text)]


def offset_pos(piece: Piece, offset: int) -> tuple[int, int]:
    if "\n" not in piece.text:
        return piece.line, piece.col + offset
    newlines = _newlines(piece.text)
    nl = bisect.bisect_left(newlines, offset)  # newlines before `offset`
    if nl == 0:
        return piece.line, piece.col + offset
    return piece.line + nl, offset - newlines[nl - 1]


def template_slots(pieces: list[Piece]) -> list[Piece]:
    """LangChain/str.format templates: `{name}` in static text is a slot filled at invoke time."""
    out: list[Piece] = []
    for p in pieces:
        if p.kind != "text":
            out.append(p)
            continue
        pos = 0
        for m in FMT_FIELD.finditer(p.text):
            out.append(sub(p, p.text[pos : m.start()], pos))
            line, col = offset_pos(p, m.start())
            vol, why = classify(m.group(1) or "value")
            out.append(Piece("slot", m.group(1) or m.group(0), line, col, vol, why, path=p.path))
            pos = m.end()
        out.append(sub(p, p.text[pos:].replace("{{", "{").replace("}}", "}"), pos))
    return [p for p in out if p.kind == "slot" or p.text]


_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "'": "'", '"': '"', "r": "\r", "\n": ""}


def _unescape(text: str, raw: bool) -> str:
    if raw or "\\" not in text:
        return text
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), text, flags=re.S)
