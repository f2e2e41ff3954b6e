"""Charts: results to Altair charts. No widgets, no store: data in, chart out."""

from diaglab.charts.drift import (
    detail_chart,
    distribution_chart,
    missing_rate_chart,
    over_time_chart,
    sparkline_svg,
)

__all__ = [
    "detail_chart",
    "distribution_chart",
    "missing_rate_chart",
    "over_time_chart",
    "sparkline_svg",
]
