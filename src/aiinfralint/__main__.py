from __future__ import annotations

from aiinfralint.cli import entrypoint

entrypoint()
