"""Python code that builds prompts -> `PromptTemplate` (read with `ast`, never executed).

A byte-level prefilter decides which files mention an LLM client or prompt API; only those are
read. The tree is the one `parsers.pysource.module` parses once for every Python reader. The
reading itself lives in `parsers.pyprompts` (see its modules for what is followed).
"""

from __future__ import annotations

import ast
import re

from aiinfralint.model.prompt import PromptTemplate
from aiinfralint.parsers.base import FileInput, ParseOutput
from aiinfralint.parsers.pyprompts.ir import ExternalLookup
from aiinfralint.parsers.pyprompts.sites import LLM_CALLS, SYSTEM_KWARGS, Sites
from aiinfralint.parsers.pyprompts.source import Source
from aiinfralint.parsers.pysource import module
from aiinfralint.parsers.registry import FileParser

__all__ = ["LLM_CALLS", "PARSER", "SYSTEM_KWARGS", "claims", "mentions_prompt_api", "parse", "read_templates"]

_GATE = re.compile(
    r"\b(?:openai|anthropic|litellm|google\.genai|generativeai|langchain\w*|ChatPromptTemplate|SystemMessage"
    r"|vertexai|mistralai|pydantic_ai|llama_index|create_react_agent)\b"
    r"|\b(?:messages|system|instructions|system_instruction|system_prompt)\s*="
)
# `system=` is read as a system prompt only in a file importing one of these clients (a narrower
# set than `pysource.LLM_IMPORT`, which decides whether a syntax error is reported)
_CLIENT_IMPORT = re.compile(
    r"^\s*(?:from|import)\s+(?:openai|anthropic|litellm|google\.genai|google\.generativeai|langchain\w*|vertexai"
    r"|mistralai|pydantic_ai|agents)\b",
    re.M,
)
# every match of `_GATE` holds one of these words: a text holding none of them is not searched
# with the regex at all (plain substring searches run in C at memory speed)
_GATE_WORDS = (
    "openai",
    "anthropic",
    "litellm",
    "genai",
    "langchain",
    "ChatPromptTemplate",
    "SystemMessage",
    "vertexai",
    "mistralai",
    "pydantic_ai",
    "llama_index",
    "create_react_agent",
    "messages",
    "system",
    "instructions",
)


def mentions_prompt_api(text: str) -> bool:
    """Does Python source text mention an LLM client or prompt API (worth a full read)?"""
    return any(word in text for word in _GATE_WORDS) and _GATE.search(text) is not None


def claims(f: FileInput) -> bool:
    return f.suffix == ".py" and mentions_prompt_api(f.text)


def parse(f: FileInput) -> ParseOutput:
    parsed = module(f)
    if parsed.tree is None:
        problem = parsed.problem
        if not parsed.llm_file or problem is None:
            if problem is not None and problem.message.startswith("Python file nested"):
                return ParseOutput(skipped=problem.message)
            return ParseOutput(skipped="Python file that does not parse (and imports no LLM client)")
        return ParseOutput(problems=[problem], claimed=True)
    try:
        templates = read_templates(f.path, parsed.tree, f.text)
    except RecursionError:
        return ParseOutput(skipped="Python file nested too deeply to read")
    if not templates:
        return ParseOutput()
    return ParseOutput(objects=list(templates), claimed=True)


def read_templates(
    path: str, tree: ast.Module, text: str, external: ExternalLookup | None = None
) -> list[PromptTemplate]:
    """The prompt templates of one parsed module (`external`: names defined in other modules)."""
    return Sites(path, tree, Source(text), _CLIENT_IMPORT.search(text) is not None, external).run()


PARSER = FileParser(name="python-prompts", claims=claims, parse=parse)
