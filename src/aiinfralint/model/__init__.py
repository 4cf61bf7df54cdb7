"""The typed model every parser produces and every rule reads."""

from __future__ import annotations

from aiinfralint.model.base import ModelObject, Span
from aiinfralint.model.finding import Finding, Impact, Severity
from aiinfralint.model.project import Project

__all__ = ["Finding", "Impact", "ModelObject", "Project", "Severity", "Span"]
