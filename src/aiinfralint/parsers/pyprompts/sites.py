"""Which calls, keywords and message forms are prompt sites, and the `PromptTemplate`s built there.

Call sites read: `system=`, `instructions=`, `system_instruction=`, `system_prompt=` of an LLM
call (with the same call's `messages=` and `model=`); `messages=[{"role": "system", ...}]`;
LangChain `ChatPromptTemplate.from_messages([...])`, message classes and any list holding a
system message. Anthropic `cache_control` on a content block is a cache breakpoint.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from aiinfralint.model.base import Span
from aiinfralint.model.prompt import CONSTANT, CacheBreakpoint, PromptTemplate, Segment
from aiinfralint.parsers.pyprompts.evaluate import (
    Evaluator,
    Piece,
    args_of,
    keyword,
    template_slots,
    text_value,
)
from aiinfralint.parsers.pyprompts.frameworks import (
    AGENT_CONSTRUCTORS,
    FRAMEWORK_CALLS,
    FRAMEWORK_PROMPT_KWARGS,
    CacheMark,
    Decorated,
    as_dict,
    cache_marks,
    callee,
    decorated_prompts,
    grown_in,
    grown_list,
    loops_around,
    returned,
)
from aiinfralint.parsers.pyprompts.ir import ExternalLookup
from aiinfralint.parsers.pyprompts.scope import FUNCTION_TYPES, Function, Scope
from aiinfralint.parsers.pyprompts.source import Source
from aiinfralint.parsers.pyprompts.volatility import Flow, Site, keyed_by_document

SYSTEM_KWARGS = ("system", "instructions", "system_instruction", "system_prompt")
# callables that take a system prompt: SDK methods, agent and model constructors
LLM_CALLS = frozenset(
    {
        "create", "acreate", "stream", "parse", "generate_content", "generate_content_stream", "completion",
        "acompletion", "Agent", "GenerativeModel", "GenerateContentConfig", "count_tokens", "invoke", "ainvoke",
        "send_message", "start_chat", "chat", "achat", "run", "run_sync", "respond", "batch_completion",
        "text_completion", "responses", "ChatAnthropic", "ChatOpenAI", "ChatVertexAI", "ChatGoogleGenerativeAI",
    }
)  # fmt: skip
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
_TTL = re.compile(r"[\"']ttl[\"']\s*:\s*[\"'](\w+)[\"']")
_SYSTEM_ROLES = ("system", "developer")
# constructors whose first positional argument is the model (`Agent("openai:gpt-4o", ...)`)
_MODEL_FIRST = frozenset({"Agent", "create_react_agent"})


class Build:
    """Segments and breakpoints of one prompt as they are read, message by message."""

    def __init__(self) -> None:
        self.segments_raw: list[tuple[str, int, Piece]] = []
        self.breakpoints: list[tuple[int, tuple[int, int], str | None]] = []
        self.msg = -1
        self.agent_loop: str | None = None
        self.name: str | None = None

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

    def breakpoint_on(self, message: int, pos: tuple[int, int], ttl: str | None) -> None:
        """A breakpoint at the end of message `message` (negative: from the end)."""
        count = self.msg + 1
        target = message if message >= 0 else count + message
        last = [i for i, (_, m, _) in enumerate(self.segments_raw) if m == target]
        if last:
            self.breakpoints.append((last[-1], pos, ttl))


@dataclass(frozen=True)
class Extra:
    """What a framework adds to a prompt site: decorated prompt functions, an agent loop, the list's name."""

    agent: Decorated | None = None
    loop: str | None = None
    list_name: str | None = None


# nodes that hold no call and no list: the walk does not look inside them
_LEAVES = frozenset({ast.Name, ast.Constant, ast.Load, ast.Store, ast.Del, ast.alias, ast.Pass, ast.Import})


@dataclass(frozen=True)
class Place:
    """Where a call or list sits: its enclosing function, its parent, the calls around it."""

    func: Function | None
    parent: ast.AST | None
    calls: tuple[ast.Call, ...]  # enclosing calls within the function, outermost first


# simple statements whose text holds no bracket hold no call and no list: not looked inside
_SIMPLE = frozenset({ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return})


def _bracketless(node: ast.AST, src: Source) -> bool:
    """A simple statement whose source lines have no `(` and no `[` (so no call and no list)."""
    starts = src.starts
    first, last = getattr(node, "lineno", 0), getattr(node, "end_lineno", None) or 0
    if first < 1 or last < first or last > len(starts):
        return False
    end = starts[last] if last < len(starts) else len(src.text)
    text = src.text[starts[first - 1] : end]
    return "(" not in text and "[" not in text


def _walk(tree: ast.Module, src: Source) -> tuple[list[ast.Call], list[ast.List], dict[int, Place]]:
    """Calls and lists in source order, and where each sits (one iterative walk, no parent map)."""
    calls: list[ast.Call] = []
    lists: list[ast.List] = []
    places: dict[int, Place] = {}
    stack: list[tuple[ast.AST, Function | None, ast.AST | None, tuple[ast.Call, ...]]] = [(tree, None, None, ())]
    leaves = _LEAVES
    while stack:
        node, func, parent, around = stack.pop()
        kind = type(node)
        if kind in _SIMPLE and _bracketless(node, src):
            continue
        if kind is ast.Call:
            assert isinstance(node, ast.Call)
            calls.append(node)
            places[id(node)] = Place(func, parent, around)
            around = (*around, node)
        elif kind is ast.List:
            assert isinstance(node, ast.List)
            lists.append(node)
            places[id(node)] = Place(func, parent, around)
        elif kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
            assert isinstance(node, FUNCTION_TYPES)
            func, around = node, ()
        for name in node._fields:
            value = getattr(node, name, None)
            if type(value) is list:
                for item in reversed(value):
                    if isinstance(item, ast.AST) and type(item) not in leaves:
                        stack.append((item, func, node, around))
            elif isinstance(value, ast.AST) and type(value) not in leaves:
                stack.append((value, func, node, around))

    def order(n: ast.expr) -> tuple[int, int, int, int]:
        return n.lineno, n.col_offset, -(n.end_lineno or 0), -(n.end_col_offset or 0)

    calls.sort(key=order)
    lists.sort(key=order)
    return calls, lists, places


class Sites:
    """Finds the prompt sites of one module and builds their templates."""

    def __init__(
        self, path: str, tree: ast.Module, source: Source, llm_file: bool, external: ExternalLookup | None = None
    ) -> None:
        self.path = path
        self.tree = tree
        self.src = source
        self.ev = Evaluator(tree, source, external)
        self.llm_file = llm_file
        self.calls, self.lists, self.places = _walk(tree, source)
        self.consumed: set[int] = set()
        self.templates: list[PromptTemplate] = []
        self.names_used: dict[str, int] = {}
        self._models: dict[tuple[int, int], tuple[Scope, dict[str, tuple[int, int]]]] = {}  # per (holder, scope)
        self.flow = Flow(tree, self.ev.module_scope, source.text)
        self.ev.settle = self.flow.apply
        self.ev.settle_elsewhere = self.flow.elsewhere
        self.decorated = decorated_prompts(tree)
        self._holders: dict[int, ast.AST] = {id(self.ev.module_scope): tree}  # scope id -> its function/module
        self._marks: dict[int, dict[str, list[CacheMark]]] = {}

    def run(self) -> list[PromptTemplate]:
        for call in self.calls:
            self._call_site(call)
        for agent in list(self.decorated.values()):  # prompt functions of an agent built elsewhere
            func = agent.functions[0][0]
            self._emit(func, None, None, self._scope_of(func), None, Extra(agent=agent))
        for call in self.calls:
            self._from_messages(call)
        for node in self.lists:
            if id(node) in self.consumed:
                continue
            scope = self._scope_of(node)
            if self._has_system(node, scope):
                self._emit(node, None, node, scope, None)
        return self.templates

    def _has_system(self, node: ast.List, scope: Scope) -> bool:
        return any(
            self._message_role(el, scope) in _SYSTEM_ROLES for el in node.elts if not isinstance(el, ast.Starred)
        )

    def enclosing_function(self, node: ast.AST) -> Function | None:
        place = self.places.get(id(node))
        return place.func if place is not None else None

    def _scope_of(self, node: ast.AST) -> Scope:
        func = self.enclosing_function(node)
        if func is None:
            return self.ev.module_scope
        scope = self.ev.scope_for(func)
        self._holders[id(scope)] = func
        return scope

    def _holder(self, node: ast.AST) -> ast.AST:
        return self.enclosing_function(node) or self.tree

    def marks(self, scope: Scope) -> dict[str, list[CacheMark]]:
        """`cache_control` subscript assignments of the function (or module) a scope belongs to."""
        holder = self._holders.get(id(scope))
        if holder is None:
            return {}
        if id(holder) not in self._marks:
            self._marks[id(holder)] = cache_marks(holder)
        return self._marks[id(holder)]

    def _call_site(self, call: ast.Call) -> None:
        fn = callee(call)
        system = keyword(call, *SYSTEM_KWARGS)
        if system is None and fn in FRAMEWORK_PROMPT_KWARGS:
            system = keyword(call, *FRAMEWORK_PROMPT_KWARGS[fn])
            if system is not None and self._builds_messages(system, call):
                system = None
        messages = keyword(call, "messages")
        if messages is None and fn == "create" and self.src.code(call.func).endswith("responses.create"):
            messages = keyword(call, "input")  # Responses API: `input=[...]` holds the messages
        if system is None and messages is None and fn not in AGENT_CONSTRUCTORS:
            return
        agent = self._decorated_agent(call, fn)
        if system is not None and fn not in FRAMEWORK_CALLS:
            if not self.llm_file or (fn not in LLM_CALLS and keyword(call, "model", "model_name") is None):
                system = None  # `system=` of something that is not an LLM call
        if system is None and messages is None and agent is None:
            return
        scope = self._scope_of(call)
        msg_list = self._message_list(call, messages, scope) if messages is not None else None
        if system is None and agent is None and (msg_list is None or not self._worth_reading(*msg_list)):
            return
        loop = self._calls_in_loop(call, scope, messages)
        if fn in AGENT_CONSTRUCTORS and (system is not None or agent is not None):
            kw = next((k.arg for k in call.keywords if k.value is system), None) if system is not None else None
            loop = f"agent constructor `{fn}({kw}=...)`" if kw else f"agent constructor `{fn}(...)`"
        try:
            extra = Extra(agent, loop, messages.id if isinstance(messages, ast.Name) else None)
            self._emit(
                call, system, msg_list[0] if msg_list else None, msg_list[1] if msg_list else scope, scope, extra
            )
        finally:
            self.flow.site = None

    def _builds_messages(self, prompt: ast.expr, call: ast.Call) -> bool:
        """A LangGraph prompt that is a function, a lambda or a Runnable: it returns the messages of
        each call (often the user's own turn), not a system text this reader can follow."""
        value, _ = self.ev.resolve(prompt, self._scope_of(call))
        if isinstance(value, ast.Lambda):
            return True
        if isinstance(value, ast.Name) and (value.id in self.ev.functions or self._defined_function(value.id)):
            return True
        return isinstance(value, ast.Call) and (callee(value) or "").startswith("Runnable")

    def _defined_function(self, name: str) -> bool:
        return any(isinstance(n, FUNCTION_TYPES) and n.name == name for n in ast.walk(self.tree))

    def _decorated_agent(self, call: ast.Call, fn: str) -> Decorated | None:
        """The pydantic-ai prompt functions of the agent this constructor call builds (`agent = Agent(...)`)."""
        if fn not in AGENT_CONSTRUCTORS or not self.decorated:
            return None
        place = self.places.get(id(call))
        parent = place.parent if place is not None else None
        if isinstance(parent, (ast.Assign, ast.AnnAssign)) and parent.value is call:
            target = parent.targets[0] if isinstance(parent, ast.Assign) else parent.target
            if isinstance(target, ast.Name):
                return self.decorated.pop(target.id, None)
        return None

    def _message_list(self, call: ast.Call, messages: ast.expr, scope: Scope) -> tuple[ast.List, Scope] | None:
        """The list a call's messages are built in: a literal, or one grown by `.append`/`+=`."""
        if isinstance(messages, ast.Name):
            grown = grown_list(self._holder(call), messages.id, call.lineno)
            if grown is not None:
                self.consumed.update(grown[1])
                return grown[0], scope
        target, mscope = self.ev.resolve(messages, scope)
        return (target, mscope) if isinstance(target, ast.List) else None

    def _worth_reading(self, messages: ast.List, scope: Scope) -> bool:
        """A message list with a system turn or a cache breakpoint (on any turn)."""
        if self._has_system(messages, scope):
            return True
        return any("cache_control" in self.src.code(e) for e in messages.elts) or bool(self.marks(scope))

    def _calls_in_loop(self, call: ast.Call, scope: Scope, messages: ast.expr | None) -> str | None:
        """Point the data flow at the loop that sends this call; why it is an agent loop, if it is one."""
        holder = self._holder(call)
        loops = loops_around(holder, call)
        if not loops:
            return None
        self.flow.site = Site(scope.assigns, loops[-1].lineno)
        if isinstance(messages, ast.Name) and any(grown_in(loop, messages.id) for loop in loops):
            return f"`{messages.id}` appended to in the loop that calls the model"
        return None

    def _from_messages(self, call: ast.Call) -> None:
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if not (name.endswith("from_messages") and (call.args or call.keywords)):
            return
        args = args_of(call)
        scope = self._scope_of(call)
        target, tscope = self.ev.resolve(args[0][1], scope)
        if isinstance(target, ast.List) and id(target) not in self.consumed:
            self._emit(call, None, target, tscope, scope)

    def _message_role(self, node: ast.expr, scope: Scope) -> str | None:
        node, scope = self.ev.resolve(node, scope)
        node = as_dict(node) or node
        if isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values, strict=True):
                if text_value(k) == "role":
                    role = text_value(v)
                    return role.lower() if role is not None else "unknown"
        if isinstance(node, ast.Tuple) and node.elts and isinstance(node.elts[0], ast.Constant):
            first = node.elts[0].value
            if isinstance(first, (str, bytes)):
                r = str(first).lower()
                return _LC_ROLES.get(r, r)
        if isinstance(node, ast.Call):
            fn = self.src.code(node.func).split(".")
            for part in fn:
                if part in _MESSAGE_CLASSES:
                    return _MESSAGE_CLASSES[part] or "unknown"
            if fn[-1] == "MessagesPlaceholder":
                return "history"
        return None

    def _emit(
        self,
        site: ast.AST,
        system: ast.expr | None,
        messages: ast.List | None,
        mscope: Scope,
        scope: Scope | None,
        extra: Extra | None = None,
    ) -> None:
        b = Build()
        sscope = scope or mscope
        if system is not None:
            self._system(b, system, sscope)
        if extra is not None and extra.agent is not None:
            for func, role in extra.agent.functions:
                value = returned(func)
                if value is not None:
                    b.message(role, self.ev.render(value, self.ev.scope_for(func)))
            b.name = extra.agent.agent
            b.agent_loop = f"pydantic-ai agent `{extra.agent.agent}` with prompt functions"
        if messages is not None:
            self.consumed.add(id(messages))
            for el in messages.elts:
                if isinstance(el, ast.Starred):
                    b.message("user", [self.ev.history(el)])
                    continue
                self._message(b, el, mscope)
            if extra is not None and extra.list_name is not None:
                for mark in self.marks(mscope).get(extra.list_name, []):
                    if mark.index is not None:
                        b.breakpoint_on(mark.index, self.src.pos(mark.key), self._ttl(mark.value))
        if not (b.roles() & {"system", "developer"} or b.breakpoints):
            return
        if extra is not None and extra.loop is not None:
            b.agent_loop = extra.loop
        self._finish(site, b, sscope)

    def _system(self, b: Build, system: ast.expr, scope: Scope) -> None:
        """A system prompt argument: text, content blocks, a message object or a function returning text."""
        target, tscope = self.ev.resolve(system, scope)
        if isinstance(target, ast.List):
            self.consumed.add(id(target))
            self._blocks(b, target, tscope, "system")
            return
        func: Function | ast.Lambda | None = target if isinstance(target, ast.Lambda) else None
        if isinstance(target, ast.Name) and target.id in self.ev.functions:
            func = self.ev.functions[target.id]  # Agents SDK `instructions=fn`: the text `fn` returns
        if func is not None:
            value = returned(func)
            fscope = self.ev.scope_for(func) if isinstance(func, FUNCTION_TYPES) else tscope
            b.message("system", self.ev.render(value, fscope) if value is not None else [self.ev.history(system)])
            return
        if isinstance(target, ast.Call) and self._message_role(target, tscope) in _SYSTEM_ROLES:
            self._message(b, target, tscope)  # `prompt=SystemMessage(...)`
            return
        b.message("system", self.ev.render(system, scope))

    def _dict_message(self, b: Build, role: str, target: ast.Dict, tscope: Scope) -> None:
        content: ast.expr | None = None
        cc: tuple[ast.expr, ast.expr] | None = None
        for k, v in zip(target.keys, target.values, strict=True):
            key = text_value(k)
            if key in ("content", "parts"):
                content = v
            elif key == "cache_control" and k is not None:
                cc = (k, v)
        if content is None:
            return
        ctarget, cscope = self.ev.resolve(content, tscope)
        if isinstance(ctarget, ast.List):
            self._blocks(b, ctarget, cscope, role)
        else:
            b.message(role, self.ev.render(content, tscope))
        if cc is not None:
            b.breakpoint(self.src.pos(cc[0]), self._ttl(cc[1]))

    def _message(self, b: Build, node: ast.expr, scope: Scope) -> None:
        role = self._message_role(node, scope) or "user"
        target, tscope = self.ev.resolve(node, scope)
        target = as_dict(target) or target
        if isinstance(target, ast.Dict):
            self._dict_message(b, role, target, tscope)
            return
        if isinstance(target, ast.Tuple) and len(target.elts) >= 2:
            # LangChain ("system", "template with {slots}")
            b.message(role, template_slots(self.ev.render(target.elts[1], tscope)))
            return
        if isinstance(target, ast.Call):
            fn = self.src.code(target.func)
            if fn.endswith("MessagesPlaceholder"):
                b.message("user", [self.ev.history(target)])
                return
            content = keyword(target, "content", "template", "prompt")
            if content is None and target.args and not isinstance(target.args[0], ast.Starred):
                content = target.args[0]
            if content is None:
                return
            pieces = self.ev.render(content, tscope)
            if "PromptTemplate" in fn:
                pieces = template_slots(pieces)
            b.message(role, pieces)
            return
        b.message("user", [self.ev.history(node)])

    def _blocks(self, b: Build, blocks: ast.List, scope: Scope, role: str) -> None:
        b.new_message()
        for el in blocks.elts:
            if isinstance(el, ast.Starred):
                b.add(role, [self.ev.history(el)])
                continue
            target, tscope = self.ev.resolve(el, scope)
            target = as_dict(target) or target
            if not isinstance(target, ast.Dict):
                b.add(role, self.ev.render(el, scope))
                continue
            cc: tuple[ast.expr, ast.expr] | None = None
            kind = "content"
            for k, v in zip(target.keys, target.values, strict=True):
                key = text_value(k)
                if key == "text":
                    b.add(role, self.ev.render(v, tscope))
                    kind = "text"
                elif key == "type":
                    kind = text_value(v) or kind if kind != "text" else kind
                elif key == "cache_control" and k is not None:
                    cc = (k, v)
            if cc is not None:
                if kind != "text":  # a document, image or tool block under the breakpoint: its size is not read
                    line, col = self.src.pos(target)
                    why = f"a `{kind}` block, the same on every call as far as the code shows; its size is not read"
                    b.add(role, [Piece("slot", f"{kind} block", line, col, CONSTANT, why)])
                b.breakpoint(self.src.pos(cc[0]), self._ttl(cc[1]))
            elif isinstance(el, ast.Name):  # `block["cache_control"] = {...}` after the block is built
                for mark in self.marks(scope).get(el.id, []):
                    if mark.index is None:
                        b.breakpoint(self.src.pos(mark.key), self._ttl(mark.value))
                        break

    def _ttl(self, node: ast.expr) -> str | None:
        m = _TTL.search(self.src.code(node))
        return m.group(1) if m else None

    def _model(self, site: ast.AST, scope: Scope) -> tuple[str | None, tuple[int, int] | None]:
        place = self.places.get(id(site))
        around = place.calls if place is not None else ()
        for cur in ((site,) if isinstance(site, ast.Call) else ()) + tuple(reversed(around)):
            if isinstance(cur, ast.Call):
                value = keyword(cur, "model", "model_name")
                positional = callee(cur) in _MODEL_FIRST
                if value is None and (positional or self.src.code(cur.func).endswith("GenerativeModel")) and cur.args:
                    first = cur.args[0]
                    value = None if isinstance(first, ast.Starred) else first
                if value is not None:
                    target, _ = self.ev.resolve(value, scope)
                    model = text_value(target)
                    if positional and cur.args and value is cur.args[0]:
                        if model is None:
                            continue  # a model object (`ChatAnthropic(...)`): its `model=` is found below
                        model = model.rsplit(":", 1)[-1]  # pydantic-ai / LangGraph `"openai:gpt-4o"`
                    return (model, self.src.pos(value)) if model is not None else (None, None)
        # the model is often set on a sibling call (`generate_content(model=...)`, `ChatOpenAI(model=...)`)
        func = self.enclosing_function(site)
        holders: tuple[ast.AST, ...] = ((func,) if func is not None else ()) + (self.tree,)
        for holder in holders:
            found = self._model_literals(holder, scope)
            if len(found) == 1:
                return next(iter(found.items()))
            if found:
                return None, None
        return None, None

    def _model_literals(self, holder: ast.AST, scope: Scope) -> dict[str, tuple[int, int]]:
        """String literals passed as `model=` under `holder`, not inside other functions."""
        key = (id(holder), id(scope))
        if key not in self._models:  # the scope is kept with its entry, so its id is never reused
            self._models[key] = (scope, self._find_model_literals(holder, scope))
        return self._models[key][1]

    def _find_model_literals(self, holder: ast.AST, scope: Scope) -> dict[str, tuple[int, int]]:
        found: dict[str, tuple[int, int]] = {}
        stack: list[ast.AST] = [holder]
        while stack:
            node = stack.pop()
            if isinstance(node, FUNCTION_TYPES) and node is not holder:
                continue
            if isinstance(node, ast.Call):
                for k in node.keywords:
                    if k.arg in ("model", "model_name"):
                        target, _ = self.ev.resolve(k.value, scope)
                        model = text_value(target)
                        if model is not None:
                            found.setdefault(model, self.src.pos(k.value))
            stack.extend(reversed(list(ast.iter_child_nodes(node))))
        return found

    def _finish(self, site: ast.AST, b: Build, scope: Scope) -> None:
        line, col = self.src.pos(site)
        model, mpos = self._model(site, scope)
        func = self.enclosing_function(site)
        base = func.name if func is not None else "<module>"
        place = self.places.get(id(site))
        parent = place.parent if place is not None else None
        if func is None and isinstance(parent, ast.Assign) and isinstance(parent.targets[0], ast.Name):
            base = parent.targets[0].id  # `prompt = ChatPromptTemplate.from_messages(...)`
        if b.name is not None and func is None:
            base = b.name  # the agent a pydantic-ai prompt function decorates
        n = self.names_used.get(base, 0) + 1
        self.names_used[base] = n
        suffix = "()" if func is not None else ""
        name = f"{base}{suffix}" if n == 1 else f"{base}{suffix}#{n}"
        path = self.path
        segs = [
            Segment(
                kind="text" if p.kind == "text" else "slot",
                text=p.text,
                role=role,
                message=msg,
                span=Span(path=p.path or path, line=p.line, column=p.col),
                volatility=p.volatility if p.kind == "slot" else None,
                volatility_reason=p.reason,
                nondeterministic=p.nondet,
                unresolved=p.unresolved,
                link=p.link,
            )
            for role, msg, p in ((r, m, keyed_by_document(q, scope.params)) for r, m, q in b.segments_raw)
        ]
        bps = [
            CacheBreakpoint(after=after, span=Span(path=path, line=pl, column=pc), ttl=ttl)
            for after, (pl, pc), ttl in b.breakpoints
        ]
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
                provider="anthropic" if bps else None,
                model_source="call-site `model=`" if model else None,
                call=self.src.code(site.func) if isinstance(site, ast.Call) else None,
                agent_loop=b.agent_loop,
            )
        )
