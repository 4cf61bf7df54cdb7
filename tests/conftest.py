from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
CORPUS = ROOT.parent / "shared" / "corpus"


@pytest.fixture
def run_check(tmp_path: Path):
    """Write files into a temp project and run the engine on it."""
    from aiinfralint.config import Config
    from aiinfralint.pipeline.engine import RunOptions, run

    def _run(files: dict[str, str | bytes], config: Config | None = None, select=None):
        for name, content in files.items():
            p = tmp_path / name
            p.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                p.write_bytes(content)
            else:
                p.write_text(content, encoding="utf-8")
        return run(
            RunOptions(paths=["."], config=config or Config(), cwd=tmp_path, select=select, use_cache=False, jobs=1)
        )

    os.environ.setdefault("AIINFRALINT_NO_CACHE", "1")
    return _run


@pytest.fixture
def cached(tmp_path, monkeypatch):
    """An empty project directory with the caches switched on and a private user cache home."""
    from aiinfralint.cache import parse as cache_mod

    monkeypatch.delenv("AIINFRALINT_NO_CACHE", raising=False)
    monkeypatch.delenv("AIINFRALINT_CACHE_DIR", raising=False)
    monkeypatch.delenv("AIINFRALINT_TODAY", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    cache_mod._secret.cache_clear()
    project = tmp_path / "project"
    project.mkdir()
    yield project
    cache_mod._secret.cache_clear()
