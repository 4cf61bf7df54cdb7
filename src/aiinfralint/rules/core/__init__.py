from __future__ import annotations

from aiinfralint.rules.core.parse_error import ParseError

RULES = (ParseError,)
