"""The part of a rule's context the analysis helpers read.

A protocol, so that the helpers need nothing from `aiinfralint.rules`: the rules' own
`RuleContext` satisfies it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from aiinfralint.config import Config
    from aiinfralint.estimate.estimator import Estimator
    from aiinfralint.model.project import Project


class Context(Protocol):
    @property
    def project(self) -> Project: ...

    @property
    def config(self) -> Config: ...

    @property
    def estimator(self) -> Estimator: ...

    def memo(self, key: str, factory: Any) -> Any: ...
