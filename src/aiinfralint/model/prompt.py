"""Prompt templates: ordered static text and dynamic slots, with roles and cache breakpoints.

Every prompt source (a Jinja or Handlebars file, a `.prompty`, a YAML/JSON message list,
a Python call site that builds `system=` / `messages=`) becomes one `PromptTemplate`.
The provider's prefix cache sees the rendered prompt in this order, so the model keeps
it: segments appear in render order (Anthropic: `system` before `messages`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from aiinfralint.model.base import ModelObject, Span

# Volatility classes of a dynamic slot (see parsers/prompt_slots.py for the tables).
TIME = "time"
IDENTITY = "identity"
REQUEST = "request"
EXPERIMENT = "experiment"
LOCALE = "locale"
UNKNOWN = "unknown"
# computed only from module constants: the same on every call
CONSTANT = "constant"

VOLATILITY_LABELS: dict[str, str] = {
    TIME: "time",
    IDENTITY: "user/tenant identity",
    REQUEST: "per-request/random value",
    EXPERIMENT: "experiment/flag/promo",
    LOCALE: "locale",
    UNKNOWN: "dynamic value",
    CONSTANT: "constant",
}

# roles whose text is the instruction prefix the provider caches first
SYSTEM_ROLES = frozenset({"system", "developer", "instructions", "tools"})
# a template without role markers: the whole text is one prompt
PROMPT_ROLE = "prompt"

SegmentKind = Literal["text", "slot", "control", "tag"]


class LinkRef(BaseModel):
    """Text a Python prompt takes from elsewhere in the project, to be read by the link step.

    `module` and `level` are the import as written (`open_deep_research.prompts`, 0;
    `prompts`, 1 for `from .prompts import ...`) and `name` the symbol used from it
    (`lead_researcher_prompt`, `Prompts.main`); `file` a prompt file read from disk, relative to
    the module's folder (`system.md`); `call` marks a function called with arguments
    (`build_prompt(date=...)`), read only if the function returns text.
    """

    model_config = ConfigDict(frozen=True)

    module: str = ""
    level: int = 0
    name: str = ""
    file: str | None = None
    call: bool = False


class Segment(BaseModel):
    """One piece of a prompt in render order.

    ``text`` is static text; ``slot`` a value interpolated at render time (``text`` holds
    the expression as written); ``control`` a conditional or loop whose output depends
    on data (``{% if %}``, ``{{#each}}``); ``tag`` a template statement that renders
    nothing by itself (``{% endif %}``, ``{% set %}``).
    """

    model_config = ConfigDict(frozen=True)

    kind: SegmentKind
    text: str
    role: str = PROMPT_ROLE
    message: int = 0
    span: Span
    volatility: str | None = None
    # the word or call that decided the volatility class (for messages)
    volatility_reason: str | None = None
    # why the rendered text can differ between calls with the same data
    nondeterministic: str | None = None
    # a slot standing for text the reader could not read (a template imported from a module
    # that is not checked, a value from configuration): why; its length is unknown
    unresolved: str | None = None
    # where the project-wide link step can find that text (set with `unresolved`)
    link: LinkRef | None = None

    @property
    def dynamic(self) -> bool:
        return self.kind in ("slot", "control") and self.volatility != CONSTANT


class CacheBreakpoint(BaseModel):
    """An explicit prefix-cache boundary (Anthropic ``cache_control`` or a template marker).

    ``after`` is the index of the last segment included in the cached prefix (-1: none).
    """

    model_config = ConfigDict(frozen=True)

    after: int
    span: Span
    ttl: str | None = None
    source: str = "cache_control"


class PromptTemplate(ModelObject):
    """A prompt as the provider will see it, with what varies between calls."""

    # logical name: front-matter `name:`, the Python function, or the file path
    name: str
    # jinja, prompty, dotprompt, mustache, semantic-kernel, text, messages, python
    source_kind: str
    segments: tuple[Segment, ...] = ()
    breakpoints: tuple[CacheBreakpoint, ...] = ()
    model: str | None = None
    provider: str | None = None
    # where the model came from ("front matter model:", "call-site model=")
    model_source: str | None = None
    # the call or function the prompt was found in (Python)
    call: str | None = None
    # the prompt's own static-prefix budget (front matter `token_budget:` or `metadata.token_budget`)
    token_budget: int | None = None
    # why the prompt is sent again on every step of an agent loop, with the conversation so far
    # after it ("agent constructor `Agent(instructions=...)`", "messages appended in a loop")
    agent_loop: str | None = None
    # where a reader finds it when the span's line is not what they read (a notebook's
    # "cell 4, line 3"); shown in messages, kept out of `name` so finding keys stay stable
    location: str | None = None

    @property
    def display_name(self) -> str:
        path = self.span.path
        if self.location:
            return f"{self.name} at {self.location} ({path})"
        if self.name == path:
            return path
        return f"{self.name} ({path})"

    @property
    def roles(self) -> tuple[str, ...]:
        seen: list[str] = []
        for s in self.segments:
            if s.role not in seen:
                seen.append(s.role)
        return tuple(seen)

    def prefix_region(self) -> tuple[int, str]:
        """End (exclusive segment index) of the part meant to be cached, and what defines it.

        With explicit breakpoints it is everything up to the last breakpoint. Otherwise
        it is the leading system block (system, developer, tools turns) or, for a
        template without roles, the whole template. A template that starts with a user
        turn has no instruction prefix (0).
        """
        if self.breakpoints:
            last = max(b.after for b in self.breakpoints)
            return last + 1, "before the last cache breakpoint"
        if not self.segments:
            return 0, "empty"
        if all(s.role == PROMPT_ROLE for s in self.segments):
            return len(self.segments), "in the prompt"
        end = 0
        for i, s in enumerate(self.segments):
            if s.role in SYSTEM_ROLES:
                end = i + 1
            elif s.role != PROMPT_ROLE:
                break
        if end == 0:
            return 0, "no system prompt"
        return end, "in the system prompt"

    def first_dynamic(self, start: int = 0, end: int | None = None) -> int | None:
        stop = len(self.segments) if end is None else end
        for i in range(start, stop):
            if self.segments[i].dynamic:
                return i
        return None

    def static_text(self, start: int = 0, end: int | None = None) -> str:
        stop = len(self.segments) if end is None else end
        return "".join(s.text for s in self.segments[start:stop] if s.kind == "text")

    def cacheable_prefix(self) -> str:
        """Static text before the first dynamic slot: what a prefix cache can reuse."""
        first = self.first_dynamic()
        return self.static_text(0, first)
