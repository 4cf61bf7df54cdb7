"""`aiinfralint cost --format json`: every item, totals per category and overall, assumptions."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from aiinfralint.report.cost_base import categories, defaults_list, item_dict, totals_dict
from aiinfralint.report.escape import json_text

if TYPE_CHECKING:
    from aiinfralint.estimate.inventory import Inventory
    from aiinfralint.pipeline.engine import RunResult
    from aiinfralint.report.base import ReportOptions


def render(inv: Inventory, result: RunResult, options: ReportOptions) -> str:
    doc = {
        "version": options.version,
        "items": [item_dict(i) for i in inv.items],
        "totals": {
            "all": totals_dict(inv.totals()),
            **{c: totals_dict(inv.totals(c)) for c, _, _ in categories(inv)},
        },
        "assumptions": list(inv.assumptions),
        "defaults_used": defaults_list(inv.defaults_used),
        "skipped": [{"path": p, "reason": r} for p, r in result.skipped],
    }
    return json_text(json.dumps(doc, indent=2, ensure_ascii=False)) + "\n"
