"""The parsers' YAML loader: the safe, bounded loader of `aiinfralint.yamlsafe`.

Documents come back as YMap/YList (which remember the line and column of every key and
item) and scalars; a broken document raises YamlError with a position.
"""

from __future__ import annotations

from aiinfralint.yamlsafe import MAX_DEPTH, MAX_EXPANDED_NODES, YamlError, YList, YMap, load_documents, preload

__all__ = ["MAX_DEPTH", "MAX_EXPANDED_NODES", "YList", "YMap", "YamlError", "load_documents", "preload"]
