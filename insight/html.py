"""The self-contained HTML report: the figures, the charts (Chart.js and the console's own chart
code inlined: the file opens offline, from an email, from a disk) and the tables behind them.
Rendered with Jinja2 with autoescaping: article keys, topics and names are text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from insight.charts import charts
from tierzero.settings import PROJECT_ROOT

TEMPLATES = Path(__file__).parent / "templates"
CHART_JS = PROJECT_ROOT / "node_modules" / "chart.js" / "dist" / "chart.umd.min.js"
CHART_CODE = PROJECT_ROOT / "web" / "console" / "charts.js"


class ChartLibraryMissing(RuntimeError):
    pass


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True
    )


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    text = f"{value:.1f}" if isinstance(value, float) and not value.is_integer() else f"{value:g}"
    return f"{text}{unit}"


def render(report: dict[str, Any]) -> str:
    if not CHART_JS.is_file():
        raise ChartLibraryMissing(f"{CHART_JS} is missing: `make setup` installs the npm packages")
    library = CHART_JS.read_text(encoding="utf-8")
    # the drawing code is an ES module with one export; inline, it only runs
    code = CHART_CODE.read_text(encoding="utf-8").replace("export function", "function")
    env = _environment()
    env.filters["percent"] = _percent
    env.filters["number"] = _number
    return env.get_template("report.html").render(
        r=report,
        charts=charts(report),
        chart_library=library.replace("</script", "<\\/script"),
        chart_code=code.replace("</script", "<\\/script"),
    )
