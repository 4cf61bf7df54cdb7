"""Slot volatility and template segmentation shared by the prompt readers.

Volatility is decided from the words of a slot's expression (``user.tier``,
``datetime.now()``, ``request_id``) with the tables below: data, not code. The first
class in table order whose calls or words match wins, so ``user.signup_date`` is time
(it also carries identity, but a date changes more often than a tier).

`segment_template` splits Handlebars/Mustache, dotprompt, Semantic Kernel and
single-brace (Python ``str.format``: ``{x}``) templates into static text and slots;
`segment_jinja` reads a Jinja template with Jinja's own lexer and parser (parsed, never
rendered or compiled), so syntax errors are reported with their line and a ``${x}`` or a
lone ``{x}`` in a Jinja file is text. Both follow role
markers (prompty ``system:`` lines, promptflow ``# system:``, dotprompt
``{{role "system"}}``) and keeps a 1-based line and column for every segment.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jinja2

from aiinfralint.model.base import Span
from aiinfralint.model.prompt import (
    EXPERIMENT,
    IDENTITY,
    LOCALE,
    PROMPT_ROLE,
    REQUEST,
    TIME,
    UNKNOWN,
    CacheBreakpoint,
    Segment,
    SegmentKind,
)

# (class, calls (substrings of the lower-cased expression), words, joined identifiers)
# Words are matched against the parts of identifiers split on `.`, `_` and camelCase;
# joined identifiers against whole identifiers with underscores removed.
VOLATILITY_TABLE: tuple[tuple[str, tuple[str, ...], frozenset[str], frozenset[str]], ...] = (
    (
        TIME,
        (
            "datetime.now",
            "datetime.utcnow",
            "datetime.today",
            "date.today",
            "time.time(",
            "time.strftime",
            "time.localtime",
            "time.gmtime",
            "strftime_now",
            "now()",
            "utcnow(",
            "timezone.now",
            "arrow.now",
            "pendulum.now",
            "time.monotonic",
            "time.time_ns",
            "localtime()",
        ),
        frozenset(
            {
                "today",
                "now",
                "utcnow",
                "timestamp",
                "datetime",
                "date",
                "time",
                "clock",
                "year",
                "month",
                "weekday",
                "hour",
                "minute",
                "strftime",
                "isoformat",
                "epoch",
                "tomorrow",
                "yesterday",
            }
        ),
        frozenset({"currentdate", "currenttime", "todaysdate", "curdate", "ts"}),
    ),
    (
        REQUEST,
        ("uuid4", "uuid1", "uuid.uuid", "random.", "secrets.", "urandom", "ulid", "nanoid", "shortuuid"),
        frozenset(
            {
                "request",
                "req",
                "trace",
                "correlation",
                "uuid",
                "guid",
                "nonce",
                "random",
                "randint",
                "session",
                "idempotency",
            }
        ),
        frozenset(
            {
                "requestid",
                "traceid",
                "spanid",
                "sessionid",
                "conversationid",
                "threadid",
                "messageid",
                "runid",
                "callid",
                "chatid",
            }
        ),
    ),
    (
        EXPERIMENT,
        ("json.dumps(flags", "get_flag", "feature_flag", "is_enabled(", "variation("),
        frozenset(
            {
                "variant",
                "variants",
                "arm",
                "experiment",
                "experiments",
                "cohort",
                "bucket",
                "treatment",
                "promo",
                "promos",
                "promotion",
                "promotions",
                "banner",
                "flag",
                "flags",
                "campaign",
                "offer",
                "offers",
                "deal",
                "deals",
                "ab",
                "abtest",
                "launchdarkly",
                "statsig",
            }
        ),
        # `rollout` alone is also a reinforcement-learning rollout (`rollout_contents`)
        frozenset(
            {"featureflags", "abtest", "abvariant", "promobanner", "rolloutpercentage", "rolloutgroup", "rolloutflag"}
        ),
    ),
    (
        IDENTITY,
        (),
        frozenset(
            {
                "user",
                "users",
                "username",
                "userid",
                "uid",
                "tenant",
                "tenants",
                "customer",
                "customers",
                "account",
                "org",
                "organization",
                "organisation",
                "member",
                "subscriber",
                "tier",
                "profile",
                "email",
                "phone",
                "city",
                "employee",
                "patient",
                "student",
                "company",
                "firstname",
                "lastname",
                "fullname",
                "caller",
                "buyer",
                "shopper",
                "seller",
                "owner",
            }
        ),
        frozenset(
            {
                "firstname",
                "lastname",
                "fullname",
                "username",
                "userid",
                "displayname",
                "emailaddress",
                "accountid",
                "tenantid",
                "customerid",
                "orgid",
                "usertier",
                "plan_tier",
            }
        ),
    ),
    (
        LOCALE,
        (),
        frozenset({"locale", "language", "lang", "timezone", "tz", "country", "currency", "i18n", "l10n"}),
        frozenset({"languagecode", "langcode", "countrycode", "userlocale"}),
    ),
)

# words that never decide a class on their own (template filters, helpers, keywords)
_NEUTRAL = frozenset(
    {
        "json",
        "dumps",
        "tojson",
        "upper",
        "lower",
        "title",
        "trim",
        "strip",
        "join",
        "format",
        "str",
        "int",
        "default",
        "safe",
        "escape",
        "e",
        "length",
        "len",
        "list",
        "sorted",
        "sort",
        "dictsort",
        "if",
        "else",
        "not",
        "and",
        "or",
        "in",
        "is",
        "for",
        "none",
        "true",
        "false",
        "self",
        "loop",
        "get",
        "items",
        "keys",
        "values",
        "indent",
        "replace",
    }
)

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CAMEL = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
# string literals inside an expression are data, not names
_STRLIT = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")


def _words(ident: str) -> list[str]:
    out: list[str] = []
    for part in ident.split("_"):
        if not part:
            continue
        pieces = _CAMEL.findall(part) or [part]
        out.extend(p.lower() for p in pieces)
    return out


# `user_message`, `customer_query`: what the user sent this call, not who the user is
_INPUT_OWNERS = frozenset({"user", "human", "customer", "client"})
_INPUT_NOUNS = frozenset(
    {
        "message",
        "messages",
        "msg",
        "input",
        "inputs",
        "query",
        "question",
        "prompt",
        "content",
        "contents",
        "text",
        "request",
        "utterance",
        "turn",
        "reply",
        "answer",
    }
)
# `requestType`, `date_format`, `session_mode`: a kind or format, the same across calls
_CATEGORY_NOUNS = frozenset({"type", "kind", "mode", "format", "fmt", "category", "method", "style", "schema"})
_PER_CALL_WORDS = VOLATILITY_TABLE[0][2] | VOLATILITY_TABLE[1][2]


def _class_words(ident: str) -> list[str]:
    """The words of an identifier that may decide its class."""
    words = _words(ident)
    if len(words) >= 2 and words[-1] in _INPUT_NOUNS and words[0] in _INPUT_OWNERS:
        return ["request"]
    if len(words) >= 2 and words[-1] in _CATEGORY_NOUNS:
        return [w for w in words if w not in _PER_CALL_WORDS]
    return words


def classify(expr: str) -> tuple[str, str | None]:
    """Volatility class of a slot expression and the word or call that decided it."""
    low = expr.lower()
    code = _STRLIT.sub("''", expr)
    idents = [i for i in _IDENT.findall(code) if i.lower() not in _NEUTRAL]
    joined = {i.lower().replace("_", ""): i for i in idents}
    words: dict[str, str] = {}
    for ident in idents:
        for w in _class_words(ident):
            words.setdefault(w, ident)
    for cls, calls, wordset, joinset in VOLATILITY_TABLE:
        for call in calls:
            if call in low:
                return cls, call.rstrip("(.")
        for j, ident in joined.items():
            if j in joinset:
                return cls, ident
        for w, ident in words.items():
            if w in wordset:
                return cls, ident
    return UNKNOWN, None


# --- chat templates of models (not prompts) ------------------------------------------

_CHAT_TEMPLATE = re.compile(
    r"add_generation_prompt|\bbos_token\b|\beos_token\b|\{%-?\s*for\s+\w+\s+in\s+messages\b|messages\[0\]"
)


def is_model_chat_template(text: str) -> bool:
    """A model's chat template (renders any conversation), not an application prompt."""
    return _CHAT_TEMPLATE.search(text) is not None


# --- positions -------------------------------------------------------------------------


class LineIndex:
    """Offset -> (line, column), 1-based."""

    def __init__(self, text: str) -> None:
        self.starts = [0]
        for m in re.finditer("\n", text):
            self.starts.append(m.end())

    def pos(self, offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[i] + 1


# --- segmentation ----------------------------------------------------------------------

# `{{{ }}}`, `{{ }}`, `{% %}`, `{# #}`: read by `_double_tags`, not by one lazy regex (`\{\{(.*?)\}\}`
# rescans the rest of the text from every unclosed `{{`: quadratic, minutes for 100 KB of `{{`)
_OPENERS = {alive: re.compile("\\{[" + alive + "]") for alive in ("{%#", "{%", "{#", "%#", "{", "%", "#")}
_ENDRAW = re.compile(r"\{%[-+]?\s*+endraw\s*+[-+]?%\}")
# single-brace templates (`.txt`/`.md` prompts) substitute `{x}` (`str.format`) and `${x}`
# (`string.Template`, and `.format` too: `$` then the value); Jinja files never come here
_SINGLE = re.compile(
    r"\$\{(?P<dollar>[A-Za-z_][^{}\n]{0,80})\}"
    r"|(?<![{\\$])\{(?P<fmt>[A-Za-z_][\w.]*(?:\[[^\]\n]{1,40}\])?)(?:![rsa])?(?::[^{}\n]{0,20})?\}(?!\})"
)
ROLE_LINE = re.compile(
    r"^[ \t]*(?:#+[ \t]*)?(?P<role>system|user|assistant|developer|human|ai|model|tool)[ \t]*:[ \t]*$",
    re.I | re.M,
)
_ROLE_NAMES = {"human": "user", "ai": "assistant", "model": "assistant"}
_BREAKPOINT_MARK = re.compile(r"cache[_-]?control|cache[_-]?breakpoint", re.I)
_STMT_CONTROL = frozenset({"if", "elif", "for", "with", "unless"})
_STMT_END = frozenset(
    {
        "else",
        "endif",
        "endfor",
        "endwith",
        "endblock",
        "endmacro",
        "endcall",
        "endfilter",
        "endset",
        "endraw",
        "endautoescape",
        "endunless",
    }
)
_HB_ROLE = re.compile(r"^#?role\s+[\"'](?P<role>\w+)[\"']\s*$")


@dataclass
class _State:
    role: str
    message: int


@dataclass
class Segmented:
    segments: list[Segment]
    breakpoints: list[CacheBreakpoint]
    # offset (in the segmented text) and opener of the first tag that is never closed
    unclosed: tuple[int, str] | None = None


class _Tag:
    """One `{{ }}` / `{{{ }}}` / `{% %}` / `{# #}` tag found by `_double_tags`."""

    __slots__ = ("end", "inner", "kind", "start")

    def __init__(self, start: int, end: int, kind: str, inner: str) -> None:
        self.start, self.end, self.kind, self.inner = start, end, kind, inner


_CLOSERS = (("{{{", "}}}", "triple"), ("{{", "}}", "expr"), ("{%", "%}", "stmt"), ("{#", "#}", "comment"))


def _double_tags(text: str, unclosed: list[tuple[int, str]]) -> list[_Tag]:
    r"""The tags of a `{{ }}`-family template, as the regex
    ``\{\{\{(.*?)\}\}\}|\{\{(.*?)\}\}|\{%(.*?)%\}|\{#(.*?)#\}`` (DOTALL) would find them, in linear time.

    Each closer is searched for at most once per position it could be found at: the
    last answer of `str.find` for a closer stays right for every later start up to it (and
    "none" stays "none"). An opener with no closer after it is appended to `unclosed`
    (once per run of braces); the text of a `{% raw %}` block is not searched for tags.
    """
    found: dict[str, tuple[int, int]] = {}  # closer -> (searched from, found at or -1)

    def find(closer: str, start: int) -> int:
        cached = found.get(closer)
        if cached is not None and cached[0] <= start and (cached[1] < 0 or cached[1] >= start):
            return cached[1]
        at = text.find(closer, start)
        found[closer] = (start, at)
        return at

    tags: list[_Tag] = []
    pos = 0
    last_unmatched = -2
    # the second characters of openers that may still close: once `}}` is found nowhere
    # after a position, no later `{{` can close either, and is not looked at again
    alive = "{%#"
    while alive and (m := _OPENERS[alive].search(text, pos)) is not None:
        s = m.start()
        for opener, closer, kind in _CLOSERS:
            if text.startswith(opener, s):
                e = find(closer, s + len(opener))
                if e >= 0:
                    tags.append(_Tag(s, e + len(closer), kind, text[s + len(opener) : e]))
                    break
        else:
            if s != last_unmatched + 1:
                unclosed.append((s, m.group()))
            last_unmatched = s
            pos = s + 1
            alive = alive.replace(m.group()[1], "")
            continue
        tag = tags[-1]
        pos = tag.end
        if tag.kind == "stmt" and _strip_ws_control(tag.inner) == "raw":
            end = _ENDRAW.search(text, pos)
            if end is None:
                unclosed.append((tag.start, "{% raw %}"))
                tags.append(_Tag(pos, len(text), "raw", text[pos:]))
                break
            tags.append(_Tag(pos, end.start(), "raw", text[pos : end.start()]))
            tags.append(_Tag(end.start(), end.end(), "stmt", "endraw"))
            pos = end.end()
    return tags


def _norm_role(role: str) -> str:
    r = role.lower()
    return _ROLE_NAMES.get(r, r)


def _strip_ws_control(s: str) -> str:
    s = s.strip()
    if s[:1] in "-~+":
        s = s[1:]
    if s[-1:] in "-~+":
        s = s[:-1]
    return s.strip()


def segment_template(
    text: str,
    path: str,
    *,
    base: int = 0,
    index: LineIndex | None = None,
    syntax: str = "double",
    roles: bool = True,
    role: str = PROMPT_ROLE,
) -> Segmented:
    """Split `text` (found at offset `base` of the file) into segments.

    `syntax` is ``double`` for ``{{ }}``/``{% %}`` families or ``single`` for ``{x}`` and
    ``${x}``; `roles` turns role-marker lines into role changes.
    """
    out = _Segmenter(path, base, index or LineIndex(text), roles, role)
    if syntax != "double":
        return out.single(text)
    return out.double(text)


class _Segmenter:
    """Builds the segments and cache breakpoints of one template, tracking the role."""

    def __init__(self, path: str, base: int, index: LineIndex, roles: bool, role: str) -> None:
        self.path, self.base, self.index, self.roles = path, base, index, roles
        self.segs: list[Segment] = []
        self.bps: list[CacheBreakpoint] = []
        self.state = _State(role, 0)

    def span(self, offset: int) -> Span:
        line, col = self.index.pos(self.base + offset)
        return Span(path=self.path, line=line, column=col)

    def set_role(self, new: str) -> None:
        new = _norm_role(new)
        if new != self.state.role or self.segs:
            if self.segs:
                self.state.message += 1
            self.state.role = new

    def add(self, kind: SegmentKind, text: str, offset: int) -> None:
        """A text or tag segment in the current role and message."""
        state = self.state
        self.segs.append(Segment(kind=kind, text=text, role=state.role, message=state.message, span=self.span(offset)))

    def add_text(self, chunk: str, offset: int) -> None:
        if not chunk:
            return
        if self.roles:
            pos = 0
            for m in ROLE_LINE.finditer(chunk):
                before = chunk[pos : m.start()]
                if before:
                    self.add("text", before, offset + pos)
                self.set_role(m.group("role"))
                pos = m.end()
                if chunk[pos : pos + 1] == "\n":
                    pos += 1
            chunk, offset = chunk[pos:], offset + pos
        if chunk:
            self.add("text", chunk, offset)

    def add_slot(self, kind: SegmentKind, expr: str, offset: int) -> None:
        vol, why = classify(expr)
        state = self.state
        self.segs.append(
            Segment(
                kind=kind,
                text=expr,
                role=state.role,
                message=state.message,
                span=self.span(offset),
                volatility=vol,
                volatility_reason=why,
            )
        )

    def add_breakpoint(self, marker: str, offset: int) -> None:
        """A cache-breakpoint marker in a comment, unless it is one of our own directives."""
        if _BREAKPOINT_MARK.search(marker) and "aiinfralint" not in marker:
            self.bps.append(CacheBreakpoint(after=len(self.segs) - 1, span=self.span(offset), source="template marker"))

    def single(self, text: str) -> Segmented:
        """A `{x}` / `${x}` template."""
        pos = 0
        for m in _SINGLE.finditer(text):
            self.add_text(text[pos : m.start()], pos)
            pos = m.end()
            expr = m.group("dollar") or m.group("fmt") or ""
            self.add_slot("slot", expr.strip(), m.start())
        self.add_text(text[pos:], pos)
        return Segmented(self.segs, self.bps)

    def double(self, text: str) -> Segmented:
        """A `{{ }}`-family template (Jinja, Handlebars, Mustache, Semantic Kernel)."""
        pos = 0
        unclosed: list[tuple[int, str]] = []
        for tag in _double_tags(text, unclosed):
            self.add_text(text[pos : tag.start], pos)
            pos = tag.end
            if tag.kind == "raw":  # `{% raw %}...{% endraw %}`: text, whatever it holds
                self.add_text(tag.inner, tag.start)
            elif tag.kind == "comment":
                self.add_breakpoint(tag.inner, tag.start)
            elif tag.kind == "stmt":
                self.statement(_strip_ws_control(tag.inner), tag.start)
            else:
                self.expression(_strip_ws_control(tag.inner), tag.start)
        self.add_text(text[pos:], pos)
        return Segmented(self.segs, self.bps, unclosed[0] if unclosed else None)

    def statement(self, stmt: str, start: int) -> None:
        """A `{% ... %}` tag: control flow is a slot, anything else a tag."""
        head = stmt.split(None, 1)[0] if stmt else ""
        if head in _STMT_CONTROL:
            self.add_slot("control", stmt[len(head) :].strip(), start)
        else:
            self.add("tag", stmt, start)

    def expression(self, expr: str, start: int) -> None:
        """A `{{ ... }}` / `{{{ ... }}}` tag: a comment, a role change, a block or a slot."""
        if not expr:
            return
        first = expr[0]
        if first == "!":
            self.add_breakpoint(expr, start)
            return
        rm = _HB_ROLE.match(expr)
        if rm:
            self.set_role(rm.group("role"))
        elif first in "/":
            if not expr[1:].strip().startswith("role"):
                self.add("tag", expr, start)
        elif first in "#^":
            self.section(first, expr[1:].strip(), start)
        elif first == ">" or expr in ("else",) or expr.startswith(("else ", "section ")):
            self.add("tag", expr, start)
        else:
            self.add_slot("slot", expr.removeprefix("$"), start)  # `$name`: a Semantic Kernel variable

    def section(self, first: str, body: str, start: int) -> None:
        """A `{{#helper ...}}` or `{{^inverted}}` block opener."""
        helper, _, rest = body.partition(" ")
        if helper in ("if", "each", "unless", "with") or first == "^":
            self.add_slot("control", rest or body, start)
        elif helper not in ("section", "role"):  # mustache section: rendered once per item / when truthy
            self.add_slot("control", body, start)


def template_syntax(text: str) -> str:
    """``double`` when the text uses ``{{ }}`` / ``{% %}``, else ``single``."""
    return "double" if ("{{" in text or "{%" in text) else "single"


# --- Jinja, with Jinja's own lexer and parser ------------------------------------------

# deeper templates are refused before Jinja's recursive-descent parser sees them (it
# takes ~15 Python frames per bracket level: 200 levels would be a RecursionError)
MAX_JINJA_BRACKETS = 30
MAX_JINJA_BLOCKS = 60
_OPEN_BRACKETS = frozenset("([{")
_CLOSE_BRACKETS = frozenset(")]}")
# statements that open a block closed by `{% end<name> %}`
_JINJA_BLOCKS = frozenset({"if", "for", "macro", "call", "filter", "with", "block", "autoescape", "trans"})
_LITERAL_TOKENS = frozenset({"string", "integer", "float", "whitespace"})


class JinjaError(Exception):
    """A Jinja template that cannot be parsed (or is too deep to try)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message, self.line = message, line


Token = tuple[int, str, str]


@lru_cache(maxsize=1)
def _jinja_env() -> jinja2.Environment:
    import jinja2  # lazy: 110-140 ms of import that a run without Jinja prompt files never needs

    return jinja2.Environment()


def _syntax_error() -> type[jinja2.TemplateSyntaxError]:
    # lazy: as in `_jinja_env` (imported by then: free)
    import jinja2

    return jinja2.TemplateSyntaxError


def jinja_tokens(text: str) -> list[Token]:
    """The tokens of a Jinja template after checking it parses; `JinjaError` if it does not.

    The template is parsed only: nothing is compiled, rendered or evaluated.
    """
    env = _jinja_env()
    error = _syntax_error()
    tokens: list[Token] = []
    guard = _DepthGuard()
    try:
        for token in env.lex(text):  # streamed: a deep template stops at its first too-deep token
            guard.feed(token)
            tokens.append(token)
    except error as exc:
        raise JinjaError(f"Jinja syntax error: {exc.message}", exc.lineno) from None
    try:
        env.parse(text)
    except error as exc:
        raise JinjaError(f"Jinja syntax error: {exc.message}", exc.lineno) from None
    except RecursionError:
        raise JinjaError("Jinja template nested too deeply to parse", 1) from None
    return tokens


class _DepthGuard:
    """Counts bracket and block nesting token by token; `JinjaError` past the limits."""

    def __init__(self) -> None:
        self.brackets = self.blocks = 0
        self.head = False

    def feed(self, token: Token) -> None:
        line, kind, value = token
        if kind == "operator":
            if value in _OPEN_BRACKETS:
                self.brackets += 1
                if self.brackets > MAX_JINJA_BRACKETS:
                    raise JinjaError(f"Jinja expression nested deeper than {MAX_JINJA_BRACKETS} brackets", line)
            elif value in _CLOSE_BRACKETS:
                self.brackets -= 1
        elif kind == "block_begin":
            self.head = True
            return
        elif kind == "name" and self.head:
            if value in _JINJA_BLOCKS:
                self.blocks += 1
                if self.blocks > MAX_JINJA_BLOCKS:
                    raise JinjaError(f"Jinja blocks nested deeper than {MAX_JINJA_BLOCKS}", line)
            elif value.startswith("end"):
                self.blocks -= 1
        if kind != "whitespace":
            self.head = False


def segment_jinja(
    text: str, path: str, *, base: int = 0, index: LineIndex | None = None, role: str = PROMPT_ROLE
) -> Segmented:
    """Split a Jinja template (found at offset `base` of the file) into segments.

    Raises `JinjaError` for a template Jinja cannot parse. ``{{ }}`` is a slot (unless it
    prints only literals), ``{% if/for %}`` a control slot, other statements tags,
    ``{# cache_control #}`` a breakpoint; the text between, ``{% raw %}`` included, is text.
    """
    if "\r" in text:  # Jinja reads CR LF and CR as LF: same offsets, so spans stay right
        text = text.replace("\r\n", " \n").replace("\r", "\n")
    tokens = jinja_tokens(text)
    out = _Segmenter(path, base, index or LineIndex(text), True, role)
    cursor = 0
    tag_start = 0
    inner: list[tuple[int, int, str]] = []  # (start, end, kind) of the tokens inside a tag
    for _line, kind, value in tokens:
        at = text.find(value, cursor)
        if at < 0:  # cannot happen: every token is source text, in order
            at = cursor
        cursor = at + len(value)
        if kind == "data":
            out.add_text(value, at)
        elif kind in ("variable_begin", "block_begin", "comment_begin"):
            tag_start, inner = at, []
        elif kind == "comment":
            out.add_breakpoint(value, tag_start)
        elif kind == "variable_end":
            _jinja_expression(out, text, inner, tag_start)
        elif kind == "block_end":
            if inner:
                out.statement(text[inner[0][0] : inner[-1][1]], tag_start)
        elif kind not in ("comment_end", "raw_begin", "raw_end", "whitespace"):
            inner.append((at, cursor, kind))
    return Segmented(out.segs, out.bps)


def _jinja_expression(out: _Segmenter, text: str, inner: list[tuple[int, int, str]], start: int) -> None:
    """A `{{ }}` tag: a slot, or text when it prints only literals (`{{ "{" }}`)."""
    if not inner:
        return
    expr = text[inner[0][0] : inner[-1][1]]
    if all(kind in _LITERAL_TOKENS or text[s:e] == "~" for s, e, kind in inner):
        out.add("tag", expr, start)
    else:
        out.add_slot("slot", expr, start)
