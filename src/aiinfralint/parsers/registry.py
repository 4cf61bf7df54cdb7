"""Which parser reads which file.

Two kinds of entries:

* ``DocumentHandler``: reads one YAML/JSON document that is already loaded (Kubernetes
  objects, the project's own kinds, LiteLLM configs, prompt message files, vector
  index configs). A cheap text marker test decides whether a YAML/JSON file is worth
  loading at all.
* ``FileParser``: reads a whole file of another format (prompt templates, Python,
  SQL).

Handlers are listed explicitly; each module exposes ``HANDLER`` or ``PARSER``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from aiinfralint.model.base import ModelObject
from aiinfralint.parsers.base import FileInput, ParseOutput


@dataclass(frozen=True)
class DocumentHandler:
    name: str
    # substrings that must appear in the file text for the handler to be interested
    markers: tuple[str, ...]
    # does this loaded document belong to the handler?
    claims: Callable[[Any, FileInput], bool]
    # document -> objects; may raise DocumentError for a claimed but invalid document
    parse: Callable[[Any, FileInput, int], list[ModelObject]]
    # when the file cannot be loaded as YAML, is it still ours (so AIL000 is due)?
    claims_text: Callable[[FileInput], bool] = lambda _f: False


@dataclass(frozen=True)
class FileParser:
    name: str
    claims: Callable[[FileInput], bool]
    parse: Callable[[FileInput], ParseOutput]


class DocumentError(Exception):
    """A claimed document is invalid (bad field, wrong type); becomes AIL000."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


DOCUMENT_HANDLER_MODULES: tuple[str, ...] = (
    "aiinfralint.parsers.kubernetes",
    "aiinfralint.parsers.ownkinds",
    "aiinfralint.parsers.litellm",
    "aiinfralint.parsers.vector_search",
    "aiinfralint.parsers.vector_collections",
    "aiinfralint.parsers.prompt_messages",
)

FILE_PARSER_MODULES: tuple[str, ...] = (
    "aiinfralint.parsers.vector_pgvector",
    "aiinfralint.parsers.vector_console",
    "aiinfralint.parsers.prompt_files",
    "aiinfralint.parsers.python_prompts",
)


@cache
def document_handlers() -> tuple[DocumentHandler, ...]:
    return tuple(importlib.import_module(m).HANDLER for m in DOCUMENT_HANDLER_MODULES)


@cache
def file_parsers() -> tuple[FileParser, ...]:
    return tuple(importlib.import_module(m).PARSER for m in FILE_PARSER_MODULES)


def handlers_for_text(text: str) -> Sequence[DocumentHandler]:
    return [h for h in document_handlers() if any(m in text for m in h.markers)]
