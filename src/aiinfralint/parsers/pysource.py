"""One Python file parsed once with the standard library's `ast` (the C parser), shared by every reader.

The prompt reader and the readers of retries, rerankers and vector stores all look at the same
tree: `module(f)` parses a file the first time a reader asks and hands the same tree to the next
reader of that file. Nothing is executed, imported or compiled to bytecode.

Hostile input: CPython's parser refuses brackets nested deeper than 200 and raises
`RecursionError`/`MemoryError` on pathological expressions; both become a `ParseProblem` (or a
skip for a file that is not an LLM file), never a crash. Null bytes are a `SyntaxError` too.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass

from aiinfralint.parsers.base import FileInput, ParseProblem

# a file that imports one of these is an LLM client file: its syntax errors are ours to report
LLM_IMPORT = re.compile(
    r"^[ \t]*(?:from|import)[ \t]+(?:openai|anthropic|litellm|google\.genai|google\.generativeai|langchain\w*|vertexai"
    r"|mistralai|pydantic_ai|agents|llama_index|langgraph|cohere|voyageai|crewai|smolagents)\b",
    re.M,
)


@dataclass(frozen=True)
class PythonModule:
    """A parsed file: its tree, or the problem that stopped the parse (and whether to report it)."""

    tree: ast.Module | None
    problem: ParseProblem | None = None
    # a problem in a file that imports no LLM client is a skip reason, not a finding
    llm_file: bool = False


_last: tuple[FileInput, PythonModule] | None = None


def is_llm_file(text: str) -> bool:
    return LLM_IMPORT.search(text) is not None


def module(f: FileInput) -> PythonModule:
    """The tree of `f`, parsed once per file however many readers ask (the last file is kept)."""
    global _last
    if _last is not None and _last[0] is f:
        return _last[1]
    parsed = _parse(f.text)
    _last = (f, parsed)
    return parsed


def parse_quietly(text: str) -> ast.Module:
    """`ast.parse` without the Syntax/DeprecationWarnings (invalid escapes) the checked code would
    print on our stderr; raises what `ast.parse` raises."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(text, type_comments=False)


def _parse(text: str) -> PythonModule:
    llm = is_llm_file(text)
    try:
        tree = parse_quietly(text)
    except SyntaxError as exc:
        what = exc.msg or "invalid syntax"
        problem = ParseProblem(f"Python syntax error ({what})", exc.lineno or 1, exc.offset or 1)
        return PythonModule(None, problem, llm)
    except (RecursionError, MemoryError):
        return PythonModule(None, ParseProblem("Python file nested too deeply to parse", 1, 1), llm)
    except ValueError as exc:  # e.g. source code string cannot contain null bytes (older versions)
        return PythonModule(None, ParseProblem(f"Python file not parsed ({exc})", 1, 1), llm)
    return PythonModule(tree, None, llm)
