from __future__ import annotations

from aiinfralint.rules.core.expired_suppression import ExpiredSuppression
from aiinfralint.rules.core.parse_error import ParseError
from aiinfralint.rules.core.unused_suppression import UnusedSuppression

RULES = (ParseError, UnusedSuppression, ExpiredSuppression)
