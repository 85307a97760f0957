"""The weekly platform report's figures, from the events the platform logs: pure functions of plain data, no AWS.

Inputs are the JSON events as the log groups hold them (EventBridge's envelope, ``detail`` inside):

* executions: Step Functions "Execution Status Change" (``detail.stateMachineArn``, ``status``, ``startDate``,
  ``stopDate`` in epoch milliseconds);
* jobs: Batch "Job State Change" (``detail.jobName`` = ``<user>-<flow>-<run>-<step>-<task>-<attempt>``, ``status``,
  ``startedAt``, ``stoppedAt``, ``jobQueue``, ``container`` with ``vcpus`` or ``resourceRequirements``, ``tags``);
* deployments: CloudTrail ``CreateStateMachine`` / ``UpdateStateMachine`` through EventBridge
  (``detail.eventTime``, ``detail.requestParameters.name`` or ``.stateMachineArn``).

A flow is named as its state machine is, without the stack's prefix (``churn.prod.BatchInferenceFlow`` under
``@project``); Batch jobs name the flow class, and a job's flow is that class name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional

import pandas as pd

FAILED = ("FAILED", "TIMED_OUT", "ABORTED")
JOB_ENDS = ("SUCCEEDED", "FAILED")


@dataclass(frozen=True)
class Prices:
    """The stack's price table (setting ``batch-prices``): what the cost estimate assumes, per queue kind."""

    queues: Dict[str, str]
    vcpu_hour_usd: float
    gpu_hour_usd: float
    on_demand_share: float
    spot_factor: float
    basis: str

    @property
    def mix(self) -> float:
        """The share of the on-demand price paid: on-demand share at 1, the rest spot at ``spot_factor``."""
        return self.on_demand_share + (1 - self.on_demand_share) * self.spot_factor

    @staticmethod
    def parse(table: Mapping[str, Any]) -> "Prices":
        cpu, gpu = table["cpu"], table["gpu"]
        basis = (f"{cpu['instanceType']} ${cpu['vcpuHourUsd']:.4f}/vCPU-h, {gpu['instanceType']} ${gpu['gpuHourUsd']:.4f}/GPU-h on-demand; "
                 f"{round(table['onDemandShare'] * 100)}% on-demand, the rest spot at {table['spotFactor']} x on-demand ({table['source']})")
        return Prices(dict(table["queues"]), float(cpu["vcpuHourUsd"]), float(gpu["gpuHourUsd"]), float(table["onDemandShare"]), float(table["spotFactor"]), basis)


def state_machine_flow(name_or_arn: str, sfn_prefix: str) -> str:
    """``<prefix>_<flow>`` (or its ARN) -> ``<flow>``."""
    name = name_or_arn.rsplit(":", 1)[-1]
    return name[len(sfn_prefix) + 1:] if name.startswith(f"{sfn_prefix}_") else name


def _ms(value: Any) -> Any:
    """Epoch milliseconds as a UTC timestamp, or None."""
    return pd.Timestamp(int(value), unit="ms", tz="UTC") if value not in (None, "") else None


def week_of(ts: Any) -> Any:
    """The Monday (UTC, 00:00) starting each timestamp's week, as a date string."""
    return (ts.dt.tz_convert("UTC").dt.normalize() - pd.to_timedelta(ts.dt.weekday, unit="D")).dt.strftime("%Y-%m-%d")


def executions_frame(events: Iterable[Mapping[str, Any]], sfn_prefix: str) -> pd.DataFrame:
    """One row per ended execution: flow, execution ARN, status, start, stop."""
    rows: Dict[str, Dict[str, Any]] = {}
    for e in events:
        d = e["detail"]
        if d.get("status") not in ("SUCCEEDED",) + FAILED or not d.get("stopDate"):
            continue
        rows[d["executionArn"]] = {"flow": state_machine_flow(d["stateMachineArn"], sfn_prefix), "execution": d["executionArn"], "status": d["status"], "start": _ms(d["startDate"]), "stop": _ms(d["stopDate"])}
    frame = pd.DataFrame(rows.values(), columns=["flow", "execution", "status", "start", "stop"])
    return frame.sort_values("stop", kind="stable").reset_index(drop=True)


def deployments_frame(events: Iterable[Mapping[str, Any]], sfn_prefix: str) -> pd.DataFrame:
    """One row per CreateStateMachine / UpdateStateMachine of the stack's prefix: flow, time."""
    rows: List[Dict[str, Any]] = []
    for e in events:
        d = e["detail"]
        params = d.get("requestParameters") or {}
        name = params.get("name") or params.get("stateMachineArn") or ""
        if d.get("eventName") not in ("CreateStateMachine", "UpdateStateMachine") or not name.rsplit(":", 1)[-1].startswith(f"{sfn_prefix}_"):
            continue
        rows.append({"flow": state_machine_flow(name, sfn_prefix), "time": pd.Timestamp(d.get("eventTime") or e["time"]).tz_convert("UTC")})
    return pd.DataFrame(rows, columns=["flow", "time"]).sort_values("time", kind="stable").reset_index(drop=True)


def _resources(container: Mapping[str, Any]) -> Dict[str, float]:
    req = {r["type"]: float(r["value"]) for r in container.get("resourceRequirements", [])}
    return {"vcpus": req.get("VCPU", float(container.get("vcpus") or 0)), "gpus": req.get("GPU", 0.0)}


def job_engineer(detail: Mapping[str, Any]) -> str:
    """Who ran it: the deploying engineer (``metaflow.owner``) for deployed flows, else ``metaflow.user``, else the job name's."""
    tags = detail.get("tags") or {}
    return tags.get("metaflow.owner") or tags.get("metaflow.user") or detail["jobName"].rsplit("-", 5)[0]


def jobs_frame(events: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per ended Batch job that started: flow, run, engineer, queue, vCPUs, GPUs, start, hours."""
    rows: Dict[str, Dict[str, Any]] = {}
    for e in events:
        d = e["detail"]
        if d.get("status") not in JOB_ENDS or not d.get("startedAt") or not d.get("stoppedAt"):
            continue
        user, flow, run = d["jobName"].rsplit("-", 5)[:3]
        flow = (d.get("tags") or {}).get("metaflow.flow_name") or flow
        start, stop = _ms(d["startedAt"]), _ms(d["stoppedAt"])
        assert start is not None and stop is not None
        rows[d.get("jobId") or d["jobName"]] = {"flow": flow, "run": run or "", "engineer": job_engineer(d), "queue": d.get("jobQueue", ""), **_resources(d.get("container") or {}), "start": start, "hours": (stop - start).total_seconds() / 3600}
    return pd.DataFrame(rows.values(), columns=["flow", "run", "engineer", "queue", "vcpus", "gpus", "start", "hours"])


def runs_per_week(executions: pd.DataFrame, jobs: pd.DataFrame) -> pd.DataFrame:
    """Per week: runs (Step Functions executions started, plus ``run --with batch`` runs by their first job) and active
    engineers (distinct engineers with a Batch job that week)."""
    sfn = pd.DataFrame({"week": week_of(executions["start"]), "key": executions["execution"]}) if len(executions) else pd.DataFrame(columns=["week", "key"])
    local = jobs[jobs["run"] != ""]
    first = local.groupby(["flow", "run"], as_index=False)["start"].min()
    batch = pd.DataFrame({"week": week_of(first["start"]), "key": first["flow"] + "/" + first["run"]}) if len(first) else pd.DataFrame(columns=["week", "key"])
    runs: Any = pd.concat([sfn, batch]).groupby("week")["key"].nunique()
    engineers: Any = jobs.assign(week=week_of(jobs["start"])).groupby("week")["engineer"].nunique() if len(jobs) else pd.Series(dtype=int)
    out = pd.concat({"runs": runs, "active_engineers": engineers}, axis=1).fillna(0).astype(int).sort_index()
    return out.rename_axis("week").reset_index()


def deployments_per_week(deployments: pd.DataFrame) -> pd.DataFrame:
    """Deployments (CreateStateMachine / UpdateStateMachine) per flow and week."""
    if not len(deployments):
        return pd.DataFrame(columns=["week", "flow", "deployments"])
    counts: Any = deployments.assign(week=week_of(deployments["time"])).groupby(["week", "flow"]).size()
    return counts.reset_index(name="deployments")


def lead_time(samples: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Per flow, from the ``LeadTimeSeconds`` values CI recorded (commit to deployment): count, median and max hours."""
    frame = pd.DataFrame(list(samples), columns=["flow", "seconds"])
    if not len(frame):
        return pd.DataFrame(columns=["flow", "deployments", "median_hours", "max_hours"])
    hours = frame.assign(hours=frame["seconds"].astype(float) / 3600).groupby("flow")["hours"]
    return pd.DataFrame({"deployments": hours.size(), "median_hours": hours.median(), "max_hours": hours.max()}).reset_index()


def _deployment_failed(deployed_at: pd.Timestamp, until: Optional[pd.Timestamp], runs: pd.DataFrame) -> bool:
    """True when the first execution to end after the deployment (and before the next one) did not succeed."""
    after = runs[(runs["start"] >= deployed_at) & ((runs["start"] < until) if until is not None else True)]
    return bool(len(after)) and after.iloc[0]["status"] in FAILED


def change_failure(deployments: pd.DataFrame, executions: pd.DataFrame) -> pd.DataFrame:
    """Per flow: deployments, failed deployments (followed by a FAILED / TIMED_OUT / ABORTED execution before the next
    SUCCEEDED one, among the executions started before the next deployment) and their ratio."""
    rows = []
    for flow, deps in deployments.groupby("flow"):
        of_flow: Any = executions[executions["flow"] == flow]
        runs = of_flow.sort_values(by="stop", kind="stable")
        times = list(deps["time"])
        failed = sum(_deployment_failed(t, times[i + 1] if i + 1 < len(times) else None, runs) for i, t in enumerate(times))
        rows.append({"flow": flow, "deployments": len(times), "failed_deployments": failed, "change_failure_rate": failed / len(times)})
    return pd.DataFrame(rows, columns=["flow", "deployments", "failed_deployments", "change_failure_rate"])


def time_to_restore(executions: pd.DataFrame) -> pd.DataFrame:
    """Per flow: from the end of the first failed execution after a success to the end of the next successful one
    (hours); failures not yet followed by a success are counted as ``open_failures``."""
    rows = []
    ordered: Any = executions.sort_values(by="stop", kind="stable")
    for flow, runs in ordered.groupby("flow"):
        restores: List[float] = []
        failing_since: Optional[pd.Timestamp] = None
        for status, stop in zip(runs["status"], runs["stop"]):
            if status in FAILED and failing_since is None:
                failing_since = stop
            elif status == "SUCCEEDED" and failing_since is not None:
                restores.append((stop - failing_since).total_seconds() / 3600)
                failing_since = None
        series = pd.Series(restores, dtype=float)
        rows.append({"flow": flow, "restores": len(restores), "median_hours": series.median() if restores else None, "max_hours": series.max() if restores else None, "open_failures": int(failing_since is not None)})
    return pd.DataFrame(rows, columns=["flow", "restores", "median_hours", "max_hours", "open_failures"])


def job_costs(jobs: pd.DataFrame, prices: Prices) -> pd.DataFrame:
    """Each job with vCPU-hours, GPU-hours and an estimated cost: on a CPU queue vCPU-hours x the CPU type's
    $/vCPU-hour, on a GPU queue GPU-hours x the GPU type's $/GPU-hour, both x the spot mix. Jobs on a queue the
    table does not know are priced as CPU and flagged ``unpriced_queue``."""
    kind = jobs["queue"].map(prices.queues)
    frame = jobs.assign(vcpu_hours=jobs["vcpus"] * jobs["hours"], gpu_hours=jobs["gpus"] * jobs["hours"], unpriced_queue=kind.isna())
    gpu = kind == "gpu"
    frame["cost_usd"] = (frame["gpu_hours"].where(gpu, 0) * prices.gpu_hour_usd + frame["vcpu_hours"].where(~gpu, 0) * prices.vcpu_hour_usd) * prices.mix
    return frame


def cost_by(jobs: pd.DataFrame, prices: Prices, key: str) -> pd.DataFrame:
    """vCPU-hours, GPU-hours and estimated USD per ``key`` (``flow`` or ``engineer``), highest cost first."""
    columns = [key, "vcpu_hours", "gpu_hours", "cost_usd"]
    if not len(jobs):
        return pd.DataFrame(columns=columns)
    frame: Any = job_costs(jobs, prices).groupby(key)[["vcpu_hours", "gpu_hours", "cost_usd"]].sum().reset_index()
    return frame.sort_values("cost_usd", ascending=False, kind="stable").reset_index(drop=True)[columns]


def cost_explorer_total(results_by_time: Iterable[Mapping[str, Any]], metric: str = "UnblendedCost") -> float:
    """The sum of Cost Explorer's ``ResultsByTime`` totals (no grouping)."""
    return sum(float(r["Total"][metric]["Amount"]) for r in results_by_time if metric in r.get("Total", {}))


def spend_against_budget(month_to_date_usd: float, budget: Mapping[str, Any]) -> pd.DataFrame:
    """One row: the month's spend by the stack's cost tag (Cost Explorer), the budget's limit, its actual and forecast
    spend (AWS Budgets), and the share of the limit spent."""
    limit = float(budget["BudgetLimit"]["Amount"])
    spend = budget.get("CalculatedSpend") or {}
    actual = float(spend.get("ActualSpend", {}).get("Amount", "nan"))
    forecast = float(spend.get("ForecastedSpend", {}).get("Amount", "nan"))
    return pd.DataFrame([{"month_to_date_usd": month_to_date_usd, "budget_usd": limit, "budget_actual_usd": actual, "budget_forecast_usd": forecast, "share_of_budget": month_to_date_usd / limit if limit else float("nan")}])
