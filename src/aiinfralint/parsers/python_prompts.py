"""Python code that builds prompts -> `PromptTemplate` (libcst, never executed).

Only files whose text mentions an LLM client or prompt API are parsed in full. Call
sites read:

* ``system=``, ``instructions=``, ``system_instruction=``, ``system_prompt=`` (Anthropic,
  OpenAI Responses and Agents, Gemini ``GenerateContentConfig`` / ``GenerativeModel``,
  pydantic-ai) together with the same call's ``messages=`` and ``model=``;
* ``messages=[{"role": "system", ...}, ...]`` (OpenAI, LiteLLM, Anthropic);
* LangChain ``ChatPromptTemplate.from_messages([...])``, ``SystemMessage(...)``,
  ``SystemMessagePromptTemplate.from_template(...)`` and any list holding a system message.

Strings, f-strings, ``.format``, ``%``, ``+``, ``"".join([...])``, ``textwrap.dedent``,
module constants, local assignments (``=`` and ``+=``) and small same-module helper
functions are followed; anything else becomes a dynamic slot whose volatility comes from
its expression. Anthropic ``cache_control`` on a content block is a cache breakpoint.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from aiinfralint.model.base import Span
from aiinfralint.model.prompt import CONSTANT, UNKNOWN, CacheBreakpoint, PromptTemplate, Segment
from aiinfralint.parsers.base import FileInput, ParseOutput, ParseProblem
from aiinfralint.parsers.prompt_slots import classify
from aiinfralint.parsers.registry import FileParser

_GATE = re.compile(
    r"\b(?:openai|anthropic|litellm|google\.genai|generativeai|langchain\w*|ChatPromptTemplate|SystemMessage"
    r"|vertexai|mistralai)\b|\b(?:messages|system|instructions|system_instruction|system_prompt)\s*="
)
# a file that imports one of these is an LLM client file: its syntax errors are ours to report
_LLM_IMPORT = re.compile(
    r"^\s*(?:from|import)\s+(?:openai|anthropic|litellm|google\.genai|google\.generativeai|langchain\w*|vertexai"
    r"|mistralai|pydantic_ai|agents)\b",
    re.M,
)
SYSTEM_KWARGS = ("system", "instructions", "system_instruction", "system_prompt")
# callables that take a system prompt: SDK methods, agent and model constructors
LLM_CALLS = frozenset(
    {
        "create",
        "acreate",
        "stream",
        "parse",
        "generate_content",
        "generate_content_stream",
        "completion",
        "acompletion",
        "Agent",
        "GenerativeModel",
        "GenerateContentConfig",
        "count_tokens",
        "invoke",
        "ainvoke",
        "send_message",
        "start_chat",
        "chat",
        "achat",
        "run",
        "run_sync",
        "respond",
        "batch_completion",
        "text_completion",
        "responses",
        "ChatAnthropic",
        "ChatOpenAI",
        "ChatVertexAI",
        "ChatGoogleGenerativeAI",
    }
)
_MESSAGE_CLASSES = {
    "SystemMessage": "system",
    "HumanMessage": "user",
    "AIMessage": "assistant",
    "ChatMessage": None,
    "SystemMessagePromptTemplate": "system",
    "HumanMessagePromptTemplate": "user",
    "AIMessagePromptTemplate": "assistant",
}
_LC_ROLES = {
    "system": "system",
    "human": "user",
    "user": "user",
    "ai": "assistant",
    "assistant": "assistant",
    "developer": "developer",
    "placeholder": "user",
}
_FMT_FIELD = re.compile(r"(?<!\{)\{([A-Za-z_][\w]*|\d*)(?:[.\[][^{}!:]*)?(?:![rsa])?(?::[^{}]*)?\}(?!\})")
# flags then width: possessive, since `0` is both (`%000...0x` was quadratic)
_PCT_FIELD = re.compile(r"%(?:\((\w+)\))?[-#0 +]*+\d*+(?:\.\d+)?[sdifr]")
_TEXT_METHODS = frozenset({"strip", "lstrip", "rstrip", "upper", "lower", "title", "capitalize", "casefold"})
_DEDENT = frozenset({"dedent", "cleandoc"})
MAX_DEPTH = 8
MAX_HELPER_STATEMENTS = 40
# CPython's tokenizer refuses brackets nested deeper than 200; libcst's native parser has no
# such limit and overflows the C stack (killing the process) a few thousand levels down
MAX_NESTING = 200
# libcst nests one level per trailer (`a.b.b...`, `a()()...`, `a[0][0]...`) and per `elif`:
# past a few hundred its Python visitors overflow, past a few thousand its native parser does
# (a segfault), and a long subscript chain is quadratic. Real code stays far below this.
MAX_CHAIN = 200
# strings are read possessively and may be unclosed (to the end of the line, or of the text for
# triple quotes), so a stray quote never makes the scan restart at every later character
_STRING = (
    r"'''(?:[^\\']++|\\.|'(?!''))*+(?:'''|\Z)"
    r'|"""(?:[^\\"]++|\\.|"(?!""))*+(?:"""|\Z)'
    r"|'(?:[^\\'\n]++|\\.)*+'?"
    r'|"(?:[^\\"\n]++|\\.)*+"?'
)
_UNARY = r"(?:[-+~]|\b(?:not|await)\b)"
_NEST_SCAN = re.compile(
    r"(?P<comment>#[^\n]*+)"
    rf"|(?P<str>{_STRING})"
    r"|(?P<open>[(\[{])|(?P<close>[)\]}])|(?P<nl>\n)"
    r"|^[ \t]*+(?P<kw>elif|if)\b"
    r"|(?P<dot>\.(?:\s|\\\n)*+[^\W\d]\w*+)"
    rf"|(?P<run>{_UNARY}(?:\s*+{_UNARY})*+)"
    r"|\b(?P<chain>else|lambda)\b"
    r"|(?P<op>[*/%&|^@]|\b(?:and|or)\b)",
    re.S | re.M,
)
_UNARY_WORD = re.compile(r"\b(?:not|await)\b")
_FIELD_PUNCT = re.compile(r"[{}()\[\]]")
# libcst nests a chain of binary operators one level per operator and slows down
# super-linearly on long chains (`1+1+...`): refuse a statement with more than this many
MAX_OPERATORS_PER_STATEMENT = 1000
_NESTED = "nesting"
_CHAINED = "chain"
_ELIFS = "elif"


def _too_deep(text: str) -> tuple[int, str] | None:
    """(line, what) where the code passes a bound libcst cannot take, None if it never does:
    nesting deeper than MAX_NESTING (brackets, unary/not/await runs, if-else or lambda chains
    within one statement; f-string fields count), more than MAX_CHAIN trailers in a row or
    `elif`s of one `if`, or too many operators in one statement. Strings and comments are
    skipped; one linear pass (a regex scan, no tokenizer, no recursion but into f-strings)."""
    hit = _scan(text, 0, 0)
    if hit is None:
        return None
    return text.count("\n", 0, hit[0]) + 1, hit[1]


def _adjacent(text: str, end: int, start: int) -> bool:
    """Only whitespace (or line continuations) between `end` and `start`."""
    return end == start or (end >= 0 and not text[end:start].replace("\\\n", "").strip())


def _scan(text: str, depth: int, level: int) -> tuple[int, str] | None:
    if level > 4:  # f-strings in the fields of f-strings, five deep: no real code does that
        return 0, _NESTED
    return _NestScan(text, depth, level).run()


class _NestScan:
    """One pass of `_NEST_SCAN` over a text, counting what libcst would nest.

    `chains` holds the trailers in a row per open bracket; `last` is the end of the last
    primary, trailer or closing bracket (a trailer right after it chains); `chain` and
    `ops` count if-else/lambda chains and operators in the current statement; `elifs`
    counts the `elif`s of the `if` at each column.
    """

    __slots__ = ("chain", "chains", "depth", "elifs", "last", "level", "ops", "text")

    def __init__(self, text: str, depth: int, level: int) -> None:
        self.text, self.depth, self.level = text, depth, level
        self.chains = [0]
        self.last = -1
        self.chain = self.ops = 0
        self.elifs: dict[int, int] = {}

    def run(self) -> tuple[int, str] | None:
        text = self.text
        for m in _NEST_SCAN.finditer(text):
            kind = m.lastgroup
            if kind == "open" or kind == "dot":
                hit = self.trailer(m, kind)
            elif kind == "close":
                if len(self.chains) > 1:
                    self.chains.pop()
                    self.depth -= 1
                self.last = m.end()
                continue
            elif kind == "str":
                hit = self.string(m)
            elif kind == "comment":
                if _adjacent(text, self.last, m.start()):
                    self.last = m.end()
                continue
            elif kind == "nl":
                if len(self.chains) == 1 and text[m.start() - 1 : m.start()] != "\\":
                    self.chain = self.ops = self.chains[0] = 0
                    self.last = -1
                continue
            elif kind == "kw":
                hit = self.keyword(m)
            else:
                hit = self.operator(m, kind)
            if hit is not None:
                return hit
        return None

    def trailer(self, m: re.Match[str], kind: str) -> tuple[int, str] | None:
        """An opening bracket or a `.name`: a trailer if right after a primary."""
        chains = self.chains
        if _adjacent(self.text, self.last, m.start()):
            chains[-1] += 1
            if chains[-1] > MAX_CHAIN:
                return m.start(), _CHAINED
        else:
            chains[-1] = 1
        if kind == "open":
            self.depth += 1
            if self.depth > MAX_NESTING:
                return m.start(), _NESTED
            chains.append(0)
            self.last = -1
        elif len(chains) == 1 and "\n" in m.group().replace("\\\n", ""):
            self.chain = self.ops = chains[0] = 0  # `1.` then a name on the next line: a new statement
            self.last = m.end()
        else:
            self.last = m.end()
        return None

    def string(self, m: re.Match[str]) -> tuple[int, str] | None:
        """A string literal; an f-string's fields are scanned one level deeper."""
        for expr in _fstring_fields(self.text, m.start(), m.group()):
            hit = _scan(expr, self.depth + 1, self.level + 1)
            if hit is not None:
                return m.start(), hit[1]
        self.chains[-1] = 0
        self.last = m.end()
        return None

    def keyword(self, m: re.Match[str]) -> tuple[int, str] | None:
        """An `if` or `elif` at the start of a line: counts the `elif`s of its column."""
        text = self.text
        if len(self.chains) == 1 and text[max(m.start() - 2, 0) : m.start()] != "\\\n":
            col = m.start("kw") - m.start()
            elifs = self.elifs
            if m.group("kw") == "if":
                elifs[col] = 0
            else:
                elifs[col] = elifs.get(col, 0) + 1
                if elifs[col] > MAX_CHAIN:
                    return m.start("kw"), _ELIFS
        return None

    def operator(self, m: re.Match[str], kind: str | None) -> tuple[int, str] | None:
        """A run of unary operators, a binary operator, or an `else`/`lambda` link."""
        if kind == "run":
            run = m.group()
            signs = run.count("-") + run.count("+")
            self.ops += signs
            if len(run) >= MAX_NESTING and signs + run.count("~") + len(_UNARY_WORD.findall(run)) >= MAX_NESTING:
                return m.start(), _NESTED
            if self.ops > MAX_OPERATORS_PER_STATEMENT:
                return m.start(), _NESTED
        elif kind == "op":
            self.ops += 1
            if self.ops > MAX_OPERATORS_PER_STATEMENT:
                return m.start(), _NESTED
        elif kind == "chain":
            self.chain += 1
            if self.chain > MAX_NESTING:
                return m.start(), _NESTED
        return None


_ORDER_FREE = ("sorted", "min", "max", "sum", "len", "any", "all")  # calls whose result ignores input order
_SET_ORDER = "iteration over a set (order changes between processes)"


@lru_cache(maxsize=1)
def _order_visitor() -> Any:
    """The visitor class that collects order hazards (sets, unsorted dumps, joins over dict views)."""
    import libcst as cst  # lazy: libcst costs ~340 ms; only Python files that mention an LLM client need it

    class OrderVisitor(cst.CSTVisitor):
        def __init__(self, reader: _Reader, scope: Scope, found: list[str]) -> None:
            self.reader, self.scope, self.found = reader, scope, found
            self.sorted_depth = 0

        def visit_Call(self, call: Any) -> bool | None:
            fn = self.reader._code(call.func)
            if fn in _ORDER_FREE:
                self.sorted_depth += 1
                return True
            if fn.endswith("dumps") and call.args:
                self._dumps(call)
            if self.sorted_depth == 0:
                if fn in ("set", "frozenset"):
                    self.found.insert(0, _SET_ORDER)
                elif isinstance(call.func, cst.Attribute) and call.func.attr.value == "join" and call.args:
                    arg_code = self.reader._code(call.args[0].value)
                    if re.search(r"\.(keys|values|items)\(\)", arg_code) and "sorted(" not in arg_code:
                        self.found.append("a join over a dict view in insertion order")
            return True

        def _dumps(self, call: Any) -> None:
            reader = self.reader
            sort = any(
                a.keyword is not None and a.keyword.value == "sort_keys" and reader._code(a.value) != "False"
                for a in call.args
            )
            arg, ascope = reader.resolve(call.args[0].value, self.scope)
            literal = isinstance(arg, (cst.Dict, cst.List, cst.Tuple)) and reader._constant(arg, ascope)
            if not sort and not literal and not self.sorted_depth:
                self.found.append("`json.dumps` without `sort_keys=True`")

        def leave_Call(self, call: Any) -> None:
            if self.reader._code(call.func) in _ORDER_FREE:
                self.sorted_depth -= 1

        def visit_SetComp(self, n: Any) -> bool | None:
            if self.sorted_depth == 0:
                self.found.insert(0, _SET_ORDER)
            return True

        def visit_Set(self, n: Any) -> bool | None:
            if self.sorted_depth == 0:
                self.found.insert(0, _SET_ORDER)
            return True

    return OrderVisitor


def _fstring_fields(text: str, start: int, token: str) -> list[str]:
    """The replacement-field expressions of an f-string token (none for other strings)."""
    j = start
    while j > 0 and start - j < 3 and text[j - 1] in "rRbBuUfFtT":
        j -= 1
    if "f" not in text[j:start].lower() or (j > 0 and (text[j - 1].isalnum() or text[j - 1] == "_")):
        return []
    body = token[3:] if token[:3] in ("'''", '"""') else token[1:]
    fields: list[str] = []
    depth = begin = 0
    skip = -1
    for m in _FIELD_PUNCT.finditer(body):
        i = m.start()
        if i == skip:
            continue
        c = m.group()
        if depth == 0:
            if c in "{}" and body.startswith(c * 2, i):
                skip = i + 1  # `{{` and `}}` are literal braces
            elif c == "{":
                depth, begin = 1, i + 1
        elif c in "([{":
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                fields.append(body[begin:i])
    if depth:
        fields.append(body[begin:])
    return fields


def mentions_prompt_api(text: str) -> bool:
    """Does Python source text mention an LLM client or prompt API (worth a full read)?"""
    return _GATE.search(text) is not None


def claims(f: FileInput) -> bool:
    return f.suffix == ".py" and mentions_prompt_api(f.text)


@dataclass
class Piece:
    kind: str  # "text" | "slot"
    text: str
    line: int
    col: int
    volatility: str | None = None
    reason: str | None = None
    nondet: str | None = None


@dataclass
class Scope:
    """Names visible while rendering: a function's locals and parameters, or helper bindings."""

    assigns: dict[str, list[tuple[int, str, Any]]] = field(default_factory=dict)
    params: set[str] = field(default_factory=set)
    bindings: dict[str, tuple[Any, Scope]] = field(default_factory=dict)
    name: str = "<module>"


class _Reader:
    def __init__(self, f: FileInput, module: Any, positions: Any, parents: Any) -> None:
        import libcst as cst  # lazy: libcst costs ~340 ms; only Python files that mention an LLM client need it

        self.cst = cst
        self.f = f
        self.module = module
        self.positions = positions
        self.parents = parents
        self.module_scope = Scope()
        self.functions: dict[str, Any] = {}
        self.func_scopes: dict[int, Scope] = {}
        self.consumed: set[int] = set()
        self.templates: list[PromptTemplate] = []
        self.names_used: dict[str, int] = {}
        self.llm_file = _LLM_IMPORT.search(f.text) is not None
        self._collect(module.body, self.module_scope, top=True)

    # --- collection ------------------------------------------------------------------

    def _collect(self, body: Any, scope: Scope, top: bool = False) -> None:
        cst: Any = self.cst
        for stmt in body:
            if isinstance(stmt, cst.FunctionDef):
                if top:
                    self.functions[stmt.name.value] = stmt
                continue
            if isinstance(stmt, cst.ClassDef):
                continue
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    self._collect_small(small, scope)
            elif hasattr(stmt, "body"):
                # if/with/for/try blocks: their assignments count too
                inner = stmt.body
                self._collect(getattr(inner, "body", ()), scope, top=top)
                orelse = getattr(stmt, "orelse", None)
                if orelse is not None and hasattr(orelse, "body"):
                    self._collect(
                        getattr(orelse.body, "body", ()) if hasattr(orelse.body, "body") else (), scope, top=top
                    )

    def _collect_small(self, small: Any, scope: Scope) -> None:
        cst: Any = self.cst
        if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
            scope.assigns.setdefault(small.targets[0].target.value, []).append((self._line(small), "=", small.value))
        elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) and small.value is not None:
            scope.assigns.setdefault(small.target.value, []).append((self._line(small), "=", small.value))
        elif (
            isinstance(small, cst.AugAssign)
            and isinstance(small.target, cst.Name)
            and isinstance(small.operator, cst.AddAssign)
        ):
            scope.assigns.setdefault(small.target.value, []).append((self._line(small), "+=", small.value))

    def scope_for(self, func: Any) -> Scope:
        key = id(func)
        if key not in self.func_scopes:
            scope = Scope(name=func.name.value)
            params = func.params
            for p in (*params.posonly_params, *params.params, *params.kwonly_params):
                scope.params.add(p.name.value)
            for star in (params.star_arg, params.star_kwarg):
                if isinstance(star, self.cst.Param):
                    scope.params.add(star.name.value)
            self._collect(func.body.body, scope)
            self.func_scopes[key] = scope
        return self.func_scopes[key]

    # --- positions -------------------------------------------------------------------

    def _pos(self, node: Any) -> tuple[int, int]:
        try:
            r = self.positions[node]
            return r.start.line, r.start.column + 1
        except KeyError:
            return 1, 1

    def _line(self, node: Any) -> int:
        return self._pos(node)[0]

    def _code(self, node: Any) -> str:
        try:
            return str(self.module.code_for_node(node))
        except Exception:
            return type(node).__name__

    def enclosing_function(self, node: Any) -> Any:
        cst: Any = self.cst
        cur = node
        while cur is not None:
            cur = self.parents.get(cur)
            if isinstance(cur, cst.FunctionDef):
                return cur
        return None

    # --- name resolution ---------------------------------------------------------------

    def _lookup(self, name: str, scope: Scope, line: int) -> tuple[list[tuple[str, Any]], Scope] | None:
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
            start = max(i for i, e in enumerate(before) if e[1] == "=") if any(e[1] == "=" for e in before) else 0
            return [(op, node) for _, op, node in before[start:]], sc
        return None

    def resolve(self, node: Any, scope: Scope, depth: int = 0) -> tuple[Any, Scope]:
        """Follow names and helper calls to the expression that builds a value."""
        cst: Any = self.cst
        while depth < MAX_DEPTH:
            depth += 1
            if isinstance(node, cst.Name):
                found = self._lookup(node.value, scope, self._line(node))
                if not found or len(found[0]) != 1:
                    return node, scope
                node, scope = found[0][0][1], found[1]
                continue
            if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value in self.functions:
                inlined = self._inline(node, scope)
                if inlined is None:
                    return node, scope
                node, scope = inlined
                continue
            return node, scope
        return node, scope

    def _inline(self, call: Any, scope: Scope) -> tuple[Any, Scope] | None:
        cst: Any = self.cst
        func = self.functions[call.func.value]
        body = func.body.body if hasattr(func.body, "body") else ()
        if len(body) > MAX_HELPER_STATEMENTS:
            return None
        ret = None
        for stmt in body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Return) and small.value is not None:
                        ret = small.value
        if ret is None:
            return None
        base = self.scope_for(func)
        inner = Scope(assigns=base.assigns, params=set(base.params), name=base.name)
        params = [p.name.value for p in (*func.params.posonly_params, *func.params.params)]
        for i, arg in enumerate(call.args):
            if arg.star:
                break
            if arg.keyword is not None:
                inner.bindings[arg.keyword.value] = (arg.value, scope)
            elif i < len(params):
                inner.bindings[params[i]] = (arg.value, scope)
        # unbound parameters with defaults keep their defaults
        for p in (*func.params.params, *func.params.kwonly_params):
            if p.name.value not in inner.bindings and p.default is not None:
                inner.bindings[p.name.value] = (p.default, Scope())
        inner.params -= set(inner.bindings)
        return ret, inner

    # --- rendering ------------------------------------------------------------------------

    def render(self, node: Any, scope: Scope, depth: int = 0) -> list[Piece]:
        cst: Any = self.cst
        if depth > MAX_DEPTH:
            return [self._slot(node, scope)]
        line, col = self._pos(node)
        if isinstance(node, cst.SimpleString):
            value = node.evaluated_value
            if isinstance(value, bytes):
                value = value.decode("utf-8", errors="replace")
            return [Piece("text", value, line, col + len(node.prefix) + len(node.quote))]
        if isinstance(node, cst.ConcatenatedString):
            return self.render(node.left, scope, depth + 1) + self.render(node.right, scope, depth + 1)
        if isinstance(node, cst.FormattedString):
            out: list[Piece] = []
            raw = "r" in node.prefix.lower()
            for part in node.parts:
                if isinstance(part, cst.FormattedStringText):
                    pl, pc = self._pos(part)
                    out.append(Piece("text", _unescape(part.value, raw).replace("{{", "{").replace("}}", "}"), pl, pc))
                else:
                    out.extend(self._at(self.render(part.expression, scope, depth + 1), part.expression, scope))
            return out
        if isinstance(node, cst.BinaryOperation):
            if isinstance(node.operator, cst.Add):
                left = self.render(node.left, scope, depth + 1)
                right = self.render(node.right, scope, depth + 1)
                return left + right
            if isinstance(node.operator, cst.Modulo):
                tmpl = self.render(node.left, scope, depth + 1)
                if all(p.kind == "text" for p in tmpl):
                    return self._percent(tmpl, node.right, scope, depth)
            return [self._slot(node, scope)]
        if isinstance(node, cst.Name):
            found = self._lookup(node.value, scope, line)
            if found is None:
                return [self._slot(node, scope)]
            entries, sc = found
            pieces: list[Piece] = []
            for _op, value in entries:
                pieces.extend(self.render(value, sc, depth + 1))
            return self._at(pieces, node, scope)
        if isinstance(node, cst.Call):
            return self._render_call(node, scope, depth)
        return [self._slot(node, scope)]

    def _at(self, pieces: list[Piece], ref: Any, scope: Scope) -> list[Piece]:
        """A value computed elsewhere but interpolated here: report it where it is used."""
        if len(pieces) == 1 and pieces[0].kind == "slot":
            line, col = self._pos(ref)
            p = pieces[0]
            name = self._code(ref)
            vol, why = p.volatility, p.reason
            if vol == UNKNOWN:
                vol, why = classify(name)
            return [Piece("slot", name, line, col, vol, why, p.nondet)]
        return pieces

    def _render_call(self, node: Any, scope: Scope, depth: int) -> list[Piece]:
        cst: Any = self.cst
        func = node.func
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method == "format":
                tmpl = self.render(func.value, scope, depth + 1)
                if tmpl and all(p.kind == "text" for p in tmpl):
                    return self._format(tmpl, node, scope, depth)
                return [self._slot(node, scope)]
            if method == "join" and node.args:
                sep = self.render(func.value, scope, depth + 1)
                target, tscope = self.resolve(node.args[0].value, scope)
                if (
                    len(sep) == 1
                    and sep[0].kind == "text"
                    and isinstance(target, (cst.List, cst.Tuple))
                    and not any(isinstance(e, cst.StarredElement) for e in target.elements)
                ):
                    out: list[Piece] = []
                    for i, el in enumerate(target.elements):
                        if i:
                            out.append(Piece("text", sep[0].text, sep[0].line, sep[0].col))
                        out.extend(self.render(el.value, tscope, depth + 1))
                    return out
                return [self._slot(node, scope)]
            if method in _TEXT_METHODS and not node.args:
                return self.render(func.value, scope, depth + 1)
            if method in _DEDENT and node.args:
                return self.render(node.args[0].value, scope, depth + 1)
        if isinstance(func, cst.Name):
            if func.value in _DEDENT and node.args:
                return self.render(node.args[0].value, scope, depth + 1)
            if func.value == "str" and len(node.args) == 1:
                return self.render(node.args[0].value, scope, depth + 1)
            if func.value in self.functions:
                inlined = self._inline(node, scope)
                if inlined is not None:
                    return self._at(self.render(inlined[0], inlined[1], depth + 1), node, scope)
        return [self._slot(node, scope)]

    def _format(self, tmpl: list[Piece], call: Any, scope: Scope, depth: int) -> list[Piece]:
        kwargs = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
        positional = [a.value for a in call.args if a.keyword is None and not a.star]
        auto = 0
        out: list[Piece] = []
        for piece in tmpl:
            pos = 0
            for m in _FMT_FIELD.finditer(piece.text):
                out.append(self._sub(piece, piece.text[pos : m.start()], pos))
                key = m.group(1)
                value = None
                if key == "":
                    value = positional[auto] if auto < len(positional) else None
                    auto += 1
                elif key.isdigit():
                    value = positional[int(key)] if int(key) < len(positional) else None
                else:
                    value = kwargs.get(key)
                line, col = _offset_pos(piece, m.start())
                if value is not None:
                    rendered = self.render(value, scope, depth + 1)
                    if len(rendered) == 1 and rendered[0].kind == "slot":
                        r = rendered[0]
                        out.append(Piece("slot", r.text, line, col, r.volatility, r.reason, r.nondet))
                    else:
                        out.extend(rendered)
                else:
                    vol, why = classify(key or "value")
                    out.append(Piece("slot", key or m.group(0), line, col, vol, why))
                pos = m.end()
            out.append(self._sub(piece, piece.text[pos:].replace("{{", "{").replace("}}", "}"), pos))
        return [p for p in out if p.kind == "slot" or p.text]

    def _percent(self, tmpl: list[Piece], right: Any, scope: Scope, depth: int) -> list[Piece]:
        cst: Any = self.cst
        values: list[Any] = []
        mapping: dict[str, Any] = {}
        target, tscope = self.resolve(right, scope)
        if isinstance(target, cst.Tuple):
            values = [e.value for e in target.elements]
        elif isinstance(target, cst.Dict):
            for el in target.elements:
                if isinstance(el, cst.DictElement) and isinstance(el.key, cst.SimpleString):
                    k = el.key.evaluated_value
                    if isinstance(k, str):
                        mapping[k] = el.value
        else:
            values = [right]
            tscope = scope
        out: list[Piece] = []
        i = 0
        for piece in tmpl:
            pos = 0
            for m in _PCT_FIELD.finditer(piece.text):
                out.append(self._sub(piece, piece.text[pos : m.start()], pos))
                value = mapping.get(m.group(1)) if m.group(1) else (values[i] if i < len(values) else None)
                if not m.group(1):
                    i += 1
                line, col = _offset_pos(piece, m.start())
                if value is not None:
                    rendered = self.render(value, tscope, depth + 1)
                    for r in rendered:
                        if r.kind == "slot":
                            r.line, r.col = line, col
                    out.extend(rendered)
                else:
                    out.append(Piece("slot", m.group(0), line, col, UNKNOWN, None))
                pos = m.end()
            out.append(self._sub(piece, piece.text[pos:].replace("%%", "%"), pos))
        return [p for p in out if p.kind == "slot" or p.text]

    @staticmethod
    def _sub(piece: Piece, text: str, offset: int) -> Piece:
        line, col = _offset_pos(piece, offset)
        return Piece("text", text, line, col)

    def _slot(self, node: Any, scope: Scope) -> Piece:
        line, col = self._pos(node)
        code = self._code(node)
        vol, why = classify(code)
        if self._constant(node, scope):
            vol, why = CONSTANT, None
        return Piece("slot", code, line, col, vol, why, self._nondeterministic(node, scope))

    def _constant(self, node: Any, scope: Scope, depth: int = 0) -> bool:
        """Built only from literals and module constants (same on every call)."""
        cst: Any = self.cst
        if depth > MAX_DEPTH:
            return False
        if isinstance(node, cst.Name):
            if node.value in ("True", "False", "None"):
                return True
            if node.value in scope.params or node.value in scope.bindings:
                return False
            if node.value in scope.assigns and scope is not self.module_scope:
                return False
            entries = self.module_scope.assigns.get(node.value) or []
            return bool(entries) and all(self._constant(n, self.module_scope, depth + 1) for _, _, n in entries)
        if isinstance(node, (cst.SimpleString, cst.Integer, cst.Float)):
            return True
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            return all(self._constant(e.value, scope, depth + 1) for e in node.elements)
        if isinstance(node, cst.Dict):
            return all(
                isinstance(e, cst.DictElement)
                and self._constant(e.key, scope, depth + 1)
                and self._constant(e.value, scope, depth + 1)
                for e in node.elements
            )
        if isinstance(node, cst.Call):
            fn = self._code(node.func)
            if fn in ("json.dumps", "dumps", "str", "sorted", "len", "repr", "list", "tuple") or fn.endswith(".join"):
                recv_ok = (
                    not isinstance(node.func, cst.Attribute)
                    or fn in ("json.dumps",)
                    or self._constant(node.func.value, scope, depth + 1)
                )
                return recv_ok and all(self._constant(a.value, scope, depth + 1) for a in node.args)
            return False
        if isinstance(node, cst.Attribute):
            return False
        if isinstance(node, cst.BinaryOperation):
            return self._constant(node.left, scope, depth + 1) and self._constant(node.right, scope, depth + 1)
        return False

    # --- nondeterminism -----------------------------------------------------------------

    def _nondeterministic(self, node: Any, scope: Scope, depth: int = 0) -> str | None:
        cst: Any = self.cst
        if depth > 3:
            return None
        target, tscope = self.resolve(node, scope)
        found: list[str] = []
        try:
            target.visit(_order_visitor()(self, tscope, found))
        except Exception:
            return None
        if not found and isinstance(target, cst.Name) and target is not node:
            return None
        # a name bound to a local that iterates a set: `names = set(x)` then `", ".join(names)`
        if not found and isinstance(target, cst.Call):
            for a in target.args:
                if isinstance(a.value, cst.Name):
                    inner, iscope = self.resolve(a.value, tscope)
                    if inner is not a.value:
                        sub = self._nondeterministic(inner, iscope, depth + 1)
                        if sub:
                            found.append(sub)
        return found[0] if found else None

    # --- prompt assembly ------------------------------------------------------------------

    def run(self) -> None:
        cst: Any = self.cst
        calls: list[Any] = []

        class Calls(cst.CSTVisitor):
            def visit_Call(self, node: Any) -> bool | None:
                calls.append(node)
                return True

        self.module.visit(Calls())
        for call in calls:
            self._call_site(call)
        for call in calls:
            self._from_messages(call)
        lists: list[Any] = []

        class Lists(cst.CSTVisitor):
            def visit_List(self, node: Any) -> bool | None:
                lists.append(node)
                return True

        self.module.visit(Lists())
        for node in lists:
            if id(node) in self.consumed:
                continue
            if any(
                self._message_role(el.value, self._scope_of(node)) in ("system", "developer")
                for el in node.elements
                if not isinstance(el, cst.StarredElement)
            ):
                self._emit(node, None, node, self._scope_of(node), None)

    def _scope_of(self, node: Any) -> Scope:
        func = self.enclosing_function(node)
        return self.scope_for(func) if func is not None else self.module_scope

    def _kw(self, call: Any, *names: str) -> Any:
        for a in call.args:
            if a.keyword is not None and a.keyword.value in names:
                return a.value
        return None

    def _call_site(self, call: Any) -> None:
        cst: Any = self.cst
        system = self._kw(call, *SYSTEM_KWARGS)
        messages = self._kw(call, "messages")
        if system is None and messages is None:
            return
        if system is not None:
            fn = self._code(call.func).rsplit(".", 1)[-1]
            if not self.llm_file or (fn not in LLM_CALLS and self._kw(call, "model", "model_name") is None):
                system = None  # `system=` of something that is not an LLM call
                if messages is None:
                    return
        scope = self._scope_of(call)
        msg_list = None
        if messages is not None:
            target, mscope = self.resolve(messages, scope)
            if isinstance(target, cst.List):
                msg_list = (target, mscope)
        if system is None:
            if msg_list is None or not any(
                self._message_role(el.value, msg_list[1]) in ("system", "developer")
                for el in msg_list[0].elements
                if not isinstance(el, cst.StarredElement)
            ):
                return
        self._emit(call, system, msg_list[0] if msg_list else None, msg_list[1] if msg_list else scope, scope)

    def _from_messages(self, call: Any) -> None:
        cst: Any = self.cst
        fn = self._code(call.func)
        if not (fn.endswith("from_messages") and call.args):
            return
        scope = self._scope_of(call)
        target, tscope = self.resolve(call.args[0].value, scope)
        if isinstance(target, cst.List) and id(target) not in self.consumed:
            self._emit(call, None, target, tscope, scope)

    def _message_role(self, node: Any, scope: Scope) -> str | None:
        cst: Any = self.cst
        node, scope = self.resolve(node, scope)
        if isinstance(node, cst.Dict):
            for el in node.elements:
                if (
                    isinstance(el, cst.DictElement)
                    and isinstance(el.key, cst.SimpleString)
                    and el.key.evaluated_value == "role"
                ):
                    v = el.value
                    if isinstance(v, cst.SimpleString) and isinstance(v.evaluated_value, str):
                        return v.evaluated_value.lower()
                    return "unknown"
        if isinstance(node, cst.Tuple) and node.elements and isinstance(node.elements[0].value, cst.SimpleString):
            r = node.elements[0].value.evaluated_value
            return _LC_ROLES.get(str(r).lower(), str(r).lower())
        if isinstance(node, cst.Call):
            fn = self._code(node.func).split(".")
            for part in fn:
                if part in _MESSAGE_CLASSES:
                    return _MESSAGE_CLASSES[part] or "unknown"
            if fn[-1] == "MessagesPlaceholder":
                return "history"
        return None

    def _emit(self, site: Any, system: Any, messages: Any, mscope: Scope, scope: Scope | None) -> None:
        cst: Any = self.cst
        b = _Build()
        sscope = scope or mscope
        if system is not None:
            target, tscope = self.resolve(system, sscope)
            if isinstance(target, cst.List):
                self.consumed.add(id(target))
                self._blocks(b, target, tscope, "system")
            else:
                b.message("system", self.render(system, sscope))
        if messages is not None:
            self.consumed.add(id(messages))
            for el in messages.elements:
                if isinstance(el, cst.StarredElement):
                    b.message("user", [self._history(el)])
                    continue
                self._message(b, el.value, mscope)
        if not b.roles() & {"system", "developer"}:
            return
        self._finish(site, b, sscope)

    def _history(self, node: Any) -> Piece:
        line, col = self._pos(node)
        return Piece("slot", self._code(node), line, col, UNKNOWN, None)

    def _message(self, b: _Build, node: Any, scope: Scope) -> None:
        cst: Any = self.cst
        role = self._message_role(node, scope) or "user"
        target, tscope = self.resolve(node, scope)
        if isinstance(target, cst.Dict):
            content = None
            cc = None
            for el in target.elements:
                if isinstance(el, cst.DictElement) and isinstance(el.key, cst.SimpleString):
                    key = el.key.evaluated_value
                    if key in ("content", "parts"):
                        content = el.value
                    elif key == "cache_control":
                        cc = el
            if content is None:
                return
            ctarget, cscope = self.resolve(content, tscope)
            if isinstance(ctarget, cst.List):
                self._blocks(b, ctarget, cscope, role)
            else:
                b.message(role, self.render(content, tscope))
            if cc is not None:
                b.breakpoint(self._pos(cc), self._ttl(cc.value))
            return
        if isinstance(target, cst.Tuple) and len(target.elements) >= 2:
            # LangChain ("system", "template with {slots}")
            b.message(role, _template_slots(self.render(target.elements[1].value, tscope)))
            return
        if isinstance(target, cst.Call):
            fn = self._code(target.func)
            if fn.endswith("MessagesPlaceholder"):
                b.message("user", [self._history(target)])
                return
            content = self._kw(target, "content", "template", "prompt")
            if content is None and target.args and target.args[0].keyword is None:
                content = target.args[0].value
            if content is None:
                return
            pieces = self.render(content, tscope)
            if "PromptTemplate" in fn:
                pieces = _template_slots(pieces)
            b.message(role, pieces)
            return
        b.message("user", [self._history(node)])

    def _blocks(self, b: _Build, blocks: Any, scope: Scope, role: str) -> None:
        cst: Any = self.cst
        b.new_message()
        for el in blocks.elements:
            if isinstance(el, cst.StarredElement):
                b.add(role, [self._history(el)])
                continue
            target, tscope = self.resolve(el.value, scope)
            if not isinstance(target, cst.Dict):
                b.add(role, self.render(el.value, scope))
                continue
            cc = None
            for item in target.elements:
                if isinstance(item, cst.DictElement) and isinstance(item.key, cst.SimpleString):
                    key = item.key.evaluated_value
                    if key == "text":
                        b.add(role, self.render(item.value, tscope))
                    elif key == "cache_control":
                        cc = item
            if cc is not None:
                b.breakpoint(self._pos(cc), self._ttl(cc.value))

    def _ttl(self, node: Any) -> str | None:
        m = re.search(r"[\"']ttl[\"']\s*:\s*[\"'](\w+)[\"']", self._code(node))
        return m.group(1) if m else None

    def _model(self, site: Any, scope: Scope) -> tuple[str | None, tuple[int, int] | None]:
        cst: Any = self.cst
        cur = site
        while cur is not None:
            if isinstance(cur, cst.Call):
                value = self._kw(cur, "model", "model_name")
                if (
                    value is None
                    and self._code(cur.func).endswith("GenerativeModel")
                    and cur.args
                    and cur.args[0].keyword is None
                ):
                    value = cur.args[0].value
                if value is not None:
                    target, _ = self.resolve(value, scope)
                    if isinstance(target, cst.SimpleString) and isinstance(target.evaluated_value, str):
                        return target.evaluated_value, self._pos(value)
                    return None, None
            if isinstance(cur, cst.FunctionDef):
                break
            cur = self.parents.get(cur)
        # the model is often set on a sibling call (`generate_content(model=...)`, `ChatOpenAI(model=...)`)
        func = self.enclosing_function(site)
        for holder in ((func,) if func is not None else ()) + (self.module,):
            found = self._model_literals(holder, scope)
            if len(found) == 1:
                return next(iter(found.items()))
            if found:
                return None, None
        return None, None

    def _model_literals(self, holder: Any, scope: Scope) -> dict[str, tuple[int, int]]:
        cst: Any = self.cst
        found: dict[str, tuple[int, int]] = {}
        reader = self

        class Models(cst.CSTVisitor):
            def visit_FunctionDef(self, node: Any) -> bool | None:
                return node is holder

            def visit_Arg(self, node: Any) -> bool | None:
                if node.keyword is not None and node.keyword.value in ("model", "model_name"):
                    target, _ = reader.resolve(node.value, scope)
                    if isinstance(target, cst.SimpleString) and isinstance(target.evaluated_value, str):
                        found.setdefault(target.evaluated_value, reader._pos(node.value))
                return True

        holder.visit(Models())
        return found

    def _finish(self, site: Any, b: _Build, scope: Scope) -> None:
        line, col = self._pos(site)
        model, mpos = self._model(site, scope)
        func = self.enclosing_function(site)
        base = func.name.value if func is not None else "<module>"
        parent = self.parents.get(site)
        if func is None and isinstance(parent, self.cst.Assign) and isinstance(parent.targets[0].target, self.cst.Name):
            base = parent.targets[0].target.value  # `prompt = ChatPromptTemplate.from_messages(...)`
        n = self.names_used.get(base, 0) + 1
        self.names_used[base] = n
        suffix = "()" if func is not None else ""
        name = f"{base}{suffix}" if n == 1 else f"{base}{suffix}#{n}"
        path = self.f.path
        segs = [
            Segment(
                kind="text" if p.kind == "text" else "slot",
                text=p.text,
                role=role,
                message=msg,
                span=Span(path=path, line=p.line, column=p.col),
                volatility=p.volatility if p.kind == "slot" else None,
                volatility_reason=p.reason,
                nondeterministic=p.nondet,
            )
            for role, msg, p in b.segments_raw
        ]
        bps = [
            CacheBreakpoint(after=after, span=Span(path=path, line=pl, column=pc), ttl=ttl)
            for after, (pl, pc), ttl in b.breakpoints
        ]
        provider = "anthropic" if bps else None
        field_spans = {"model": Span(path=path, line=mpos[0], column=mpos[1])} if mpos else {}
        self.templates.append(
            PromptTemplate(
                span=Span(path=path, line=line, column=col),
                field_spans=field_spans,
                name=name,
                source_kind="python",
                segments=tuple(segs),
                breakpoints=tuple(bps),
                model=model,
                provider=provider,
                model_source="call-site `model=`" if model else None,
                call=self._code(site.func) if isinstance(site, self.cst.Call) else None,
            )
        )


class _Build:
    def __init__(self) -> None:
        self.segments_raw: list[tuple[str, int, Piece]] = []
        self.breakpoints: list[tuple[int, tuple[int, int], str | None]] = []
        self.msg = -1

    def roles(self) -> set[str]:
        return {r for r, _, _ in self.segments_raw}

    def new_message(self) -> None:
        self.msg += 1

    def add(self, role: str, pieces: list[Piece]) -> None:
        for p in pieces:
            if p.kind == "text" and not p.text:
                continue
            self.segments_raw.append((role, max(self.msg, 0), p))

    def message(self, role: str, pieces: list[Piece]) -> None:
        self.new_message()
        self.add(role, pieces)

    def breakpoint(self, pos: tuple[int, int], ttl: str | None) -> None:
        self.breakpoints.append((len(self.segments_raw) - 1, pos, ttl))


@lru_cache(maxsize=8)
def _newlines(text: str) -> list[int]:
    """Offsets of the newlines of a piece's text (asked for once per field of a template)."""
    return [m.start() for m in re.finditer("\n", text)]


def _offset_pos(piece: Piece, offset: int) -> tuple[int, int]:
    if "\n" not in piece.text:
        return piece.line, piece.col + offset
    newlines = _newlines(piece.text)
    nl = bisect.bisect_left(newlines, offset)  # newlines before `offset`
    if nl == 0:
        return piece.line, piece.col + offset
    return piece.line + nl, offset - newlines[nl - 1]


def _template_slots(pieces: list[Piece]) -> list[Piece]:
    """LangChain/str.format templates: `{name}` in static text is a slot filled at invoke time."""
    out: list[Piece] = []
    for p in pieces:
        if p.kind != "text":
            out.append(p)
            continue
        pos = 0
        for m in _FMT_FIELD.finditer(p.text):
            out.append(_Reader._sub(p, p.text[pos : m.start()], pos))
            line, col = _offset_pos(p, m.start())
            vol, why = classify(m.group(1) or "value")
            out.append(Piece("slot", m.group(1) or m.group(0), line, col, vol, why))
            pos = m.end()
        out.append(_Reader._sub(p, p.text[pos:].replace("{{", "{").replace("}}", "}"), pos))
    return [p for p in out if p.kind == "slot" or p.text]


_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "'": "'", '"': '"', "r": "\r", "\n": ""}


def _unescape(text: str, raw: bool) -> str:
    if raw or "\\" not in text:
        return text
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), text, flags=re.S)


def parse(f: FileInput) -> ParseOutput:
    # lazy: libcst costs ~340 ms; only Python files that mention an LLM client need it
    import libcst as cst
    from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider  # lazy: as libcst

    llm_file = _LLM_IMPORT.search(f.text) is not None
    deep = _too_deep(f.text)
    if deep is not None:
        if not llm_file:
            return ParseOutput(skipped="Python file nested too deeply to parse")
        line, what = deep
        if what == _CHAINED:
            message = f"expression chained more than {MAX_CHAIN} times (`.name`, calls, subscripts); not parsed"
        elif what == _ELIFS:
            message = f"`if` statement with more than {MAX_CHAIN} `elif` branches; not parsed"
        else:
            message = f"nesting too deep (more than {MAX_NESTING} levels)"
        return ParseOutput(problems=[ParseProblem(message, line, 1)], claimed=True)
    try:
        module = cst.parse_module(f.text)
    except cst.ParserSyntaxError as exc:
        if not llm_file:
            return ParseOutput(skipped="Python file that does not parse (and imports no LLM client)")
        # libcst's own position can point past the offending token; its message names the real one
        m = re.search(r"error at (\d+):(\d+)", exc.message)
        line, col = (int(m.group(1)), int(m.group(2)) + 1) if m else (exc.editor_line, exc.editor_column)
        message = exc.message.split(": expected one of")[0].replace("parser error: ", "")
        return ParseOutput(problems=[ParseProblem(f"Python syntax error ({message})", line, col)], claimed=True)
    except RecursionError:
        return ParseOutput(skipped="Python file nested too deeply to parse")
    try:
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        positions = wrapper.resolve(PositionProvider)
        parents = wrapper.resolve(ParentNodeProvider)
        reader = _Reader(f, module, positions, parents)
        reader.run()
    except RecursionError:
        return ParseOutput(skipped="Python file nested too deeply to read")
    if not reader.templates:
        return ParseOutput()
    return ParseOutput(objects=list(reader.templates), claimed=True)


PARSER = FileParser(name="python-prompts", claims=claims, parse=parse)
