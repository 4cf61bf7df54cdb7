"""Which parser reads which file.

Two kinds of entries:

* ``DocumentHandler``: reads one YAML/JSON document that is already loaded (Kubernetes
  objects, the project's own kinds, LiteLLM configs, prompt message files, vector
  index configs). The text markers listed below with each module decide whether a
  YAML/JSON file is worth loading at all.
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
from aiinfralint.parsers.base import FileInput, ParseOutput, ParseProblem


@dataclass(frozen=True)
class DocumentHandler:
    name: str
    # does this loaded document belong to the handler?
    claims: Callable[[Any, FileInput], bool]
    # document -> objects; may raise DocumentError for a claimed but invalid document, or
    # return ParseProblems among the objects for a document that is read but partly broken
    parse: Callable[[Any, FileInput, int], Sequence[ModelObject | ParseProblem]]
    # when the file cannot be loaded as YAML, is it still ours (so AIL000 is due)?
    claims_text: Callable[[FileInput], bool] = lambda _f: False
    # its documents hold template text in their values (prompt templates): a file it
    # claims by text is loaded, not skipped as a Jinja/Go template to render first
    template_values: bool = False


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


# module -> the substrings that must appear in a file's text for its HANDLER to be shown
# the file. They live here, not in the module, so that a worker process only imports the
# handlers whose markers occur in its files: a tree of Kubernetes manifests never builds the
# model classes of quota contracts or vector indexes while parsing.
DOCUMENT_HANDLER_MODULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("aiinfralint.parsers.kubernetes", ("apiVersion",)),
    ("aiinfralint.parsers.ownkinds", ("aiinfralint/",)),
    ("aiinfralint.parsers.litellm", ("model_list", "litellm_settings", "router_settings", "general_settings")),
    ("aiinfralint.parsers.vector_search", ("dense_vector", "knn_vector", "rollover")),
    (
        "aiinfralint.parsers.vector_collections",
        ("collection_name", "collectionName", "vectorizer", "vectorIndexConfig", "vectorConfig", "vectors"),
    ),
    ("aiinfralint.parsers.prompt_messages", ("messages", "role")),
    (
        "aiinfralint.parsers.framework_prompts",
        ("system_template", "instance_template", "system_prompt", "backstory", "expected_output"),
    ),
)

# module -> the file suffixes its PARSER can claim at all (its `claims` decides among them;
# a test checks it claims nothing else). A YAML manifest never imports the SQL, console,
# template or Python readers.
FILE_PARSER_MODULES: tuple[tuple[str, frozenset[str]], ...] = (
    ("aiinfralint.parsers.vector_pgvector", frozenset({".sql"})),
    ("aiinfralint.parsers.vector_console", frozenset({".json", ".http", ".es", ".console", ".txt", ".rest"})),
    (
        "aiinfralint.parsers.prompt_files",
        frozenset({".prompt", ".prompty", ".j2", ".jinja", ".jinja2", ".mustache", ".txt", ".md"}),
    ),
    ("aiinfralint.parsers.python_prompts", frozenset({".py"})),
    ("aiinfralint.parsers.python_retries", frozenset({".py"})),
    ("aiinfralint.parsers.python_rerankers", frozenset({".py"})),
    ("aiinfralint.parsers.python_vectors", frozenset({".py"})),
    ("aiinfralint.parsers.python_budgets", frozenset({".py"})),
    ("aiinfralint.parsers.notebooks", frozenset({".ipynb"})),
)


@cache
def _handler(module: str) -> DocumentHandler:
    handler: DocumentHandler = importlib.import_module(module).HANDLER
    return handler


def document_handlers() -> tuple[DocumentHandler, ...]:
    return tuple(_handler(m) for m, _ in DOCUMENT_HANDLER_MODULES)


@cache
def _parser(module: str) -> FileParser:
    parser: FileParser = importlib.import_module(module).PARSER
    return parser


def file_parsers() -> tuple[FileParser, ...]:
    return tuple(_parser(m) for m, _ in FILE_PARSER_MODULES)


def file_parsers_for(suffix: str) -> Sequence[FileParser]:
    """The file parsers that may claim a file with this (lower-case) suffix, in registry order."""
    return [_parser(m) for m, suffixes in FILE_PARSER_MODULES if suffix in suffixes]


def handlers_for_text(text: str) -> Sequence[DocumentHandler]:
    return [_handler(m) for m, markers in DOCUMENT_HANDLER_MODULES if any(x in text for x in markers)]


def preload_common() -> None:
    """Import the handler nearly every tree needs (before forking workers)."""
    _handler(DOCUMENT_HANDLER_MODULES[0][0])
