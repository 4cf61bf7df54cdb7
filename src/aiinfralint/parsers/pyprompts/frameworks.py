"""Agent frameworks and message-building forms, read from the tree of one module.

- pydantic-ai: `@agent.system_prompt` / `@agent.instructions` functions (with or without call
  parentheses) add their returned text to the agent's prompt, after the constructor's own.
- Agents SDK: `Agent(instructions=fn)` where `fn` is a function or lambda returning the text.
- LangGraph `create_react_agent(model, tools, prompt=...)`; LlamaIndex agents and chat engines
  (`ReActAgent`, `FunctionAgent`, `...from_defaults`, `as_chat_engine`) with `system_prompt=`;
  OpenAI Responses `responses.create(instructions=..., input=[...])`.
- Message lists grown with `.append(x)`, `.insert(0, x)`, `.extend([...])` and `+= [...]`;
  `dict(role=..., content=...)` and typed content blocks (`TextBlockParam(...)`) read as dicts;
  `cache_control` set by subscript assignment (`block["cache_control"] = {...}`,
  `messages[-1]["content"][-1]["cache_control"] = {...}`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from aiinfralint.parsers.pyprompts.scope import FUNCTION_TYPES, Function

# constructors of agents whose system prompt is sent again on every step of their tool loop
AGENT_CONSTRUCTORS = frozenset(
    {"Agent", "create_react_agent", "ReActAgent", "FunctionAgent", "FunctionCallingAgent", "ReActAgentWorker",
     "OpenAIAgent", "AgentWorkflow"}
)  # fmt: skip
# framework calls read as prompt sites whatever the module imports (their names are specific enough)
FRAMEWORK_CALLS = AGENT_CONSTRUCTORS - {"Agent"} | {"from_defaults", "as_chat_engine", "from_tools"}
# keyword arguments that hold the system prompt of a framework call (besides `SYSTEM_KWARGS`)
FRAMEWORK_PROMPT_KWARGS = {"create_react_agent": ("prompt", "state_modifier")}
_DECORATORS = {"system_prompt": "system", "instructions": "system"}
_TYPED_BLOCKS = frozenset({"TextBlockParam", "BetaTextBlockParam", "ChatCompletionContentPartTextParam"})
_TYPED_MESSAGES = frozenset(
    {"MessageParam", "BetaMessageParam", "ChatCompletionSystemMessageParam", "ChatCompletionUserMessageParam",
     "ChatCompletionAssistantMessageParam", "ChatCompletionDeveloperMessageParam"}
)  # fmt: skip
_GROW = frozenset({"append", "insert", "extend"})


def callee(call: ast.Call) -> str:
    """The called name without its receiver or type arguments (`Agent[Deps, Out](...)` -> `Agent`)."""
    func = call.func
    if isinstance(func, ast.Subscript):
        func = func.value
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def returned(func: Function | ast.Lambda) -> ast.expr | None:
    """The value a prompt function returns (its last top-level `return`)."""
    if isinstance(func, ast.Lambda):
        return func.body
    value = None
    for stmt in func.body:
        if isinstance(stmt, ast.Return) and stmt.value is not None:
            value = stmt.value
    return value


@dataclass
class Decorated:
    """The prompt functions one agent object is decorated with, in source order."""

    agent: str
    functions: list[tuple[Function, str]] = field(default_factory=list)  # (function, role)


def decorated_prompts(tree: ast.Module) -> dict[str, Decorated]:
    """pydantic-ai prompt functions by the name of the agent they decorate (module level)."""
    found: dict[str, Decorated] = {}
    for stmt in tree.body:
        if not isinstance(stmt, FUNCTION_TYPES):
            continue
        for dec in stmt.decorator_list:
            target = dec.func if isinstance(dec, ast.Call) else dec
            if isinstance(target, ast.Attribute) and target.attr in _DECORATORS and isinstance(target.value, ast.Name):
                entry = found.setdefault(target.value.id, Decorated(target.value.id))
                entry.functions.append((stmt, _DECORATORS[target.attr]))
    return found


def as_dict(node: ast.expr) -> ast.Dict | None:
    """`dict(role=..., content=...)` or a typed message/block constructor, read as a dict literal."""
    if not isinstance(node, ast.Call) or node.args:
        return None
    name = callee(node)
    if not ((name == "dict" and isinstance(node.func, ast.Name)) or name in _TYPED_BLOCKS or name in _TYPED_MESSAGES):
        return None
    keys: list[ast.expr | None] = []
    values: list[ast.expr] = []
    for kw in node.keywords:
        if kw.arg is None:
            return None
        keys.append(ast.copy_location(ast.Constant(kw.arg), kw))
        values.append(kw.value)
    return ast.copy_location(ast.Dict(keys=keys, values=values), node)


def _statements(holder: ast.AST) -> list[ast.stmt]:
    """Statements of a function or module body, blocks included, nested functions and classes not."""
    body = getattr(holder, "body", [])
    out: list[ast.stmt] = []
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, (*FUNCTION_TYPES, ast.ClassDef)):
            continue
        if isinstance(stmt, ast.stmt):
            out.append(stmt)
        for name in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(stmt, name, None)
            if isinstance(inner, list):
                stack.extend(reversed([s for s in inner if isinstance(s, (ast.stmt, ast.ExceptHandler))]))
    return out


def _grow_call(stmt: ast.stmt, name: str) -> tuple[str, ast.Call] | None:
    if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
        return None
    call = stmt.value
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in _GROW and isinstance(func.value, ast.Name):
        if func.value.id == name and call.args and not isinstance(call.args[-1], ast.Starred):
            return func.attr, call
    return None


def grown_list(holder: ast.AST, name: str, before: int) -> tuple[ast.List, list[int]] | None:
    """The message list `name` as built by the statements of `holder` before line `before`.

    Returns a synthetic list and the ids of the list literals it was built from; None when the
    name is never grown with `.append`/`.insert`/`.extend`/`+=` (a single literal says it all).
    """
    elts: list[ast.expr] = []
    sources: list[int] = []
    grown = False
    first: ast.AST | None = None
    for stmt in _statements(holder):
        if stmt.lineno >= before:
            continue
        if isinstance(stmt, ast.Assign) and [_name(t) for t in stmt.targets] == [name]:
            if not isinstance(stmt.value, ast.List):
                elts, sources, first = [], [], None
                continue
            elts, sources, first = list(stmt.value.elts), [id(stmt.value)], stmt.value
        elif isinstance(stmt, ast.AugAssign) and _name(stmt.target) == name and isinstance(stmt.value, ast.List):
            elts.extend(stmt.value.elts)
            sources.append(id(stmt.value))
            grown = True
        elif (grow := _grow_call(stmt, name)) is not None:
            method, call = grow
            value = call.args[-1]
            if method == "append":
                elts.append(value)
            elif method == "insert" and isinstance(call.args[0], ast.Constant) and call.args[0].value == 0:
                elts.insert(0, value)
            elif method == "extend" and isinstance(value, ast.List):
                elts.extend(value.elts)
                sources.append(id(value))
            else:
                continue
            grown = True
    if not grown or first is None:
        return None
    return ast.copy_location(ast.List(elts=elts, ctx=ast.Load()), first), sources


def _name(node: ast.expr) -> str | None:
    return node.id if isinstance(node, ast.Name) else None


@dataclass(frozen=True)
class CacheMark:
    """A `cache_control` set by subscript assignment: the root name, the first index, the key."""

    root: str
    index: int | None  # first subscript when it is an integer (`messages[-1]...`), else None
    key: ast.expr  # the `"cache_control"` key (where the breakpoint is reported)
    value: ast.expr
    line: int


def cache_marks(holder: ast.AST) -> dict[str, list[CacheMark]]:
    """`x[...]["cache_control"] = ...` assignments of a function or module body, by root name."""
    out: dict[str, list[CacheMark]] = {}
    for stmt in _statements(holder):
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1):
            continue
        target = stmt.targets[0]
        if not (isinstance(target, ast.Subscript) and _constant(target.slice) == "cache_control"):
            continue
        node: ast.expr = target.value
        index: int | None = None
        while isinstance(node, ast.Subscript):
            value = _constant(node.slice)
            if isinstance(value, int):
                index = value
            elif isinstance(node.slice, ast.UnaryOp) and isinstance(node.slice.op, ast.USub):
                inner = _constant(node.slice.operand)
                index = -inner if isinstance(inner, int) else None
            node = node.value
        if isinstance(node, ast.Name):
            out.setdefault(node.id, []).append(CacheMark(node.id, index, target.slice, stmt.value, stmt.lineno))
    return out


def _constant(node: ast.expr) -> object:
    return node.value if isinstance(node, ast.Constant) else None


def loops_around(holder: ast.AST, node: ast.AST) -> list[ast.For | ast.AsyncFor | ast.While]:
    """The `for`/`while` loops of `holder`'s own body that contain `node`, outermost first."""
    line = getattr(node, "lineno", 0)
    end = getattr(node, "end_lineno", line) or line
    return [
        s
        for s in _statements(holder)
        if isinstance(s, (ast.For, ast.AsyncFor, ast.While)) and s.lineno <= line and end <= (s.end_lineno or 0)
    ]


def grown_in(loop: ast.AST, name: str) -> bool:
    """Is the list `name` appended to (or extended) inside `loop`?"""
    for stmt in _statements(loop):
        if _grow_call(stmt, name) is not None:
            return True
        if isinstance(stmt, ast.AugAssign) and _name(stmt.target) == name:
            return True
    return False
