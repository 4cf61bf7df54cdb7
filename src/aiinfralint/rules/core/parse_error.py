from __future__ import annotations

from typing import ClassVar

from aiinfralint.model.finding import Severity
from aiinfralint.rules.base import Example
from aiinfralint.rules.core.engine_finding import EngineFinding


class ParseError(EngineFinding):
    """A file that aiinfralint recognises could not be read or parsed.

    ## What it does
    Reports each file that looks like one aiinfralint reads (a Kubernetes manifest, a
    prompt template, a LiteLLM config, one of the project's own kinds...) but cannot be
    decoded or parsed: broken YAML, invalid UTF-8, alias bombs, absurd nesting, a field
    of the wrong type. Files that are not ours (CI workflows, docker-compose, Helm
    values) are skipped silently, never reported here.

    ## Why is this bad?
    A config the linter cannot read is a config nobody checked. Worse, the same file
    usually fails at deploy time, or is silently ignored by the controller that should
    have read it.

    ## How the estimate is computed
    No estimate: the cost of an unread file is unknown.

    ## How to fix
    Fix the syntax error at the reported line, or exclude the file in configuration
    (`exclude = ["path/glob"]`) if it is intentionally not valid (a test fixture).

    ## References
    - YAML 1.2 specification: https://yaml.org/spec/1.2.2/
    """

    code: ClassVar[str] = "AIL000"
    slug: ClassVar[str] = "parse-error"
    severity: ClassVar[Severity] = Severity.ERROR
    inputs: ClassVar[str] = "every claimed file"
    summary: ClassVar[str] = "A recognised file could not be read or parsed"
    examples = (
        Example(
            "deploy/inference.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: chat\n spec: [broken\n",
            expect=("AIL000",),
            title="broken indentation in a Deployment",
        ),
        Example(
            "deploy/inference.yaml",
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: chat\nspec:\n  ports:\n  - port: 80\n",
            title="a valid manifest",
        ),
    )
