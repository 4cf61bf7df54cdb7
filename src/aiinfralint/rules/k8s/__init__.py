"""Kubernetes GPU family (AIL2xx)."""

from __future__ import annotations

RULES: tuple[type, ...] = ()
