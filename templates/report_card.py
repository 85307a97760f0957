"""The platform report's card: one titled plot per figure group (matplotlib, Agg), and the tables under each."""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Dict, List, Tuple

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

TITLES = {
    "activity": "Runs and active engineers per week",
    "delivery": "Deployments and lead time per flow",
    "failures": "Change failure rate and time to restore",
    "cost": "Cost per flow and per engineer",
    "budget": "Spend against budget",
}


def _bars(ax: Any, frame: pd.DataFrame, x: str, y: str, label: str) -> None:
    """A bar chart of ``y`` by ``x``, or a note that there is nothing to show."""
    if frame.empty:
        ax.text(0.5, 0.5, "no data in the window", ha="center", va="center")
    else:
        ax.bar(frame[x].astype(str), frame[y].astype(float))
        ax.tick_params(axis="x", labelrotation=30)
    ax.set_title(label, fontsize=9)


def _activity(f: Dict[str, pd.DataFrame], axes: List[Any]) -> None:
    _bars(axes[0], f["runs_per_week"], "week", "runs", "runs (executions and Batch runs)")
    _bars(axes[1], f["runs_per_week"], "week", "active_engineers", "active engineers (with a Batch job)")


def _delivery(f: Dict[str, pd.DataFrame], axes: List[Any]) -> None:
    per_flow: Any = f["deployments_per_week"].groupby("flow", as_index=False)["deployments"].sum() if len(f["deployments_per_week"]) else f["deployments_per_week"]
    _bars(axes[0], per_flow, "flow", "deployments", "deployments in the window")
    _bars(axes[1], f["lead_time"], "flow", "median_hours", "lead time, median hours (CI: commit to deployment)")


def _failures(f: Dict[str, pd.DataFrame], axes: List[Any]) -> None:
    _bars(axes[0], f["change_failure"], "flow", "change_failure_rate", "change failure rate")
    _bars(axes[1], f["time_to_restore"].dropna(subset=["median_hours"]), "flow", "median_hours", "time to restore, median hours")


def _cost(f: Dict[str, pd.DataFrame], axes: List[Any]) -> None:
    _bars(axes[0], f["cost_per_flow"], "flow", "cost_usd", "per flow, USD (estimate)")
    _bars(axes[1], f["cost_per_engineer"], "engineer", "cost_usd", "per engineer, USD (estimate)")


def _budget(f: Dict[str, pd.DataFrame], axes: List[Any]) -> None:
    row = f["spend"].iloc[0]
    frame = pd.DataFrame({"what": ["month to date (Cost Explorer)", "budget actual", "budget forecast", "budget limit"], "usd": [row["month_to_date_usd"], row["budget_actual_usd"], row["budget_forecast_usd"], row["budget_usd"]]}).fillna(0)
    _bars(axes[0], frame, "what", "usd", "USD this month")


PLOTS: Dict[str, Tuple[int, Callable[[Dict[str, pd.DataFrame], List[Any]], None]]] = {
    "activity": (2, _activity), "delivery": (2, _delivery), "failures": (2, _failures), "cost": (2, _cost), "budget": (1, _budget),
}
TABLES = {"activity": ["runs_per_week", "metaflow_runs"], "delivery": ["deployments_per_week", "lead_time"], "failures": ["change_failure", "time_to_restore"], "cost": ["cost_per_flow", "cost_per_engineer"], "budget": ["spend"]}


def render(card: Any, figures: Dict[str, pd.DataFrame], price_basis: str, start: dt.datetime, end: dt.datetime) -> None:
    """Appends the report to ``card`` (``current.card[...]``): per group a title, its plot, notes and tables."""
    from metaflow.cards import Image, Markdown, Table

    card.append(Markdown(f"# Platform report, {start:%Y-%m-%d} to {end:%Y-%m-%d}"))
    for group, (panels, draw) in PLOTS.items():
        fig: Any
        fig, axes = plt.subplots(1, panels, figsize=(5 * panels, 3.2), squeeze=False)
        draw(figures, list(axes[0]))
        fig.suptitle(TITLES[group])
        fig.tight_layout()
        card.append(Markdown(f"## {TITLES[group]}"))
        card.append(Image.from_matplotlib(fig, label=TITLES[group]))
        plt.close(fig)
        if group == "cost":
            card.append(Markdown(f"Estimated from Batch job hours x the stack's price table: {price_basis}. Not a bill: see the spend against budget."))
        for name in TABLES[group]:
            card.append(Table.from_dataframe(figures[name].head(50)))
