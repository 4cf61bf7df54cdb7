"""Carbon family (AIL5xx): energy and emissions stated next to cost."""

from __future__ import annotations

from aiinfralint.rules.carbon.missing_carbon_line_item import MissingCarbonLineItem

RULES: tuple[type, ...] = (MissingCarbonLineItem,)
