"""Unit tests of templates/platform_figures.py on hand-made events (run with Debian's python3 -m pytest)."""

from __future__ import annotations

import math
import pathlib
import sys
from typing import Any, Dict, Optional

sys.dont_write_bytecode = True
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "templates"))

import platform_figures as pf  # noqa: E402  # pyright: ignore[reportMissingImports]

PREFIX = "mf-it"
ARN = "arn:aws:states:us-east-1:123456789012"
MON = 1764547200000  # 2025-12-01T00:00:00Z, a Monday
HOUR = 3_600_000
DAY = 24 * HOUR
CPU_Q = "arn:aws:batch:us-east-1:123456789012:job-queue/mf-it-cpu"
GPU_Q = "arn:aws:batch:us-east-1:123456789012:job-queue/mf-it-gpu"
PRICES = pf.Prices.parse({"queues": {CPU_Q: "cpu", GPU_Q: "gpu"}, "cpu": {"instanceType": "c5.2xlarge", "vcpuHourUsd": 0.0425}, "gpu": {"instanceType": "g4dn.xlarge", "gpuHourUsd": 0.526}, "onDemandShare": 0.2, "spotFactor": 0.35, "source": "test"})


def execution(flow: str, n: int, status: str, start: int, stop: int) -> Dict[str, Any]:
    return {"detail": {"executionArn": f"{ARN}:execution:{PREFIX}_{flow}:{n}", "stateMachineArn": f"{ARN}:stateMachine:{PREFIX}_{flow}", "status": status, "startDate": start, "stopDate": stop}}


def deployment(flow: str, when: str, update: bool = False) -> Dict[str, Any]:
    params = {"stateMachineArn": f"{ARN}:stateMachine:{PREFIX}_{flow}"} if update else {"name": f"{PREFIX}_{flow}"}
    return {"time": when, "detail": {"eventName": "UpdateStateMachine" if update else "CreateStateMachine", "eventTime": when, "requestParameters": params}}


def job(user: str, flow: str, run: str, start: int, hours: float, queue: str = CPU_Q, vcpus: int = 4, gpus: int = 0, owner: Optional[str] = None, job_id: str = "") -> Dict[str, Any]:
    req = [{"type": "VCPU", "value": str(vcpus)}] + ([{"type": "GPU", "value": str(gpus)}] if gpus else [])
    tags = {"metaflow.flow_name": flow, "metaflow.user": user, **({"metaflow.owner": owner} if owner else {})}
    return {"detail": {"jobId": job_id or f"{user}{flow}{run}{start}", "jobName": f"{user}-{flow}-{run}-start-1-0", "status": "SUCCEEDED", "jobQueue": queue, "startedAt": start, "stoppedAt": start + int(hours * HOUR), "container": {"resourceRequirements": req}, "tags": tags}}


def test_state_machine_names_lose_the_prefix() -> None:
    assert pf.state_machine_flow(f"{ARN}:stateMachine:{PREFIX}_churn.prod.TrainFlow", PREFIX) == "churn.prod.TrainFlow"
    assert pf.state_machine_flow(f"{PREFIX}_TrainFlow", PREFIX) == "TrainFlow"


def test_change_failure_rate_and_time_to_restore() -> None:
    deps = pf.deployments_frame([deployment("TrainFlow", "2025-12-01T10:00:00Z"), deployment("TrainFlow", "2025-12-03T10:00:00Z", update=True), deployment("Other", "2025-12-01T10:00:00Z"), {"detail": {"eventName": "CreateStateMachine", "eventTime": "2025-12-01T10:00:00Z", "requestParameters": {"name": "someone-else_Flow"}}}], PREFIX)
    assert list(deps["flow"]) == ["TrainFlow", "Other", "TrainFlow"]
    runs = pf.executions_frame([
        execution("TrainFlow", 1, "FAILED", MON + 11 * HOUR, MON + 12 * HOUR),        # after deployment 1: failed
        execution("TrainFlow", 2, "TIMED_OUT", MON + 13 * HOUR, MON + 14 * HOUR),     # still failing
        execution("TrainFlow", 3, "SUCCEEDED", MON + 20 * HOUR, MON + 22 * HOUR),     # restored 10 h after the first failure
        execution("TrainFlow", 4, "SUCCEEDED", MON + 2 * DAY + 11 * HOUR, MON + 2 * DAY + 12 * HOUR),  # after deployment 2: fine
        execution("TrainFlow", 5, "ABORTED", MON + 3 * DAY, MON + 3 * DAY + HOUR),    # open failure
        {"detail": {"executionArn": "x", "stateMachineArn": "y", "status": "RUNNING", "startDate": MON}},
    ], PREFIX)
    assert len(runs) == 5
    cfr = pf.change_failure(deps, runs).set_index("flow")
    assert cfr.loc["TrainFlow"].to_dict() == {"deployments": 2, "failed_deployments": 1, "change_failure_rate": 0.5}
    assert cfr.loc["Other"]["change_failure_rate"] == 0  # deployed, never ran
    ttr = pf.time_to_restore(runs).set_index("flow").loc["TrainFlow"]
    assert (ttr["restores"], ttr["median_hours"], ttr["max_hours"], ttr["open_failures"]) == (1, 10.0, 10.0, 1)


def test_deployments_per_week() -> None:
    deps = pf.deployments_frame([deployment("A", "2025-12-01T10:00:00Z"), deployment("A", "2025-12-07T23:00:00Z"), deployment("A", "2025-12-08T00:00:00Z")], PREFIX)
    assert pf.deployments_per_week(deps).to_dict("records") == [{"week": "2025-12-01", "flow": "A", "deployments": 2}, {"week": "2025-12-08", "flow": "A", "deployments": 1}]


def test_runs_and_active_engineers_per_week() -> None:
    jobs = pf.jobs_frame([
        job("ann", "TrainFlow", "17", MON, 1), job("ann", "TrainFlow", "17", MON + HOUR, 1),  # one run, two jobs
        job("bob", "ScoreFlow", "18", MON + DAY, 1),
        job("SFN", "ScoreFlow", "", MON + 8 * DAY, 1, owner="ann"),                          # deployed: the owner
    ])
    assert sorted(jobs["engineer"]) == ["ann", "ann", "ann", "bob"]
    runs = pf.executions_frame([execution("ScoreFlow", 1, "SUCCEEDED", MON + 8 * DAY, MON + 8 * DAY + HOUR)], PREFIX)
    assert pf.runs_per_week(runs, jobs).to_dict("records") == [{"week": "2025-12-01", "runs": 2, "active_engineers": 2}, {"week": "2025-12-08", "runs": 1, "active_engineers": 1}]


def test_cost_per_flow_and_engineer_uses_the_price_table_and_spot_mix() -> None:
    jobs = pf.jobs_frame([job("ann", "TrainFlow", "1", MON, 2, queue=GPU_Q, vcpus=4, gpus=1), job("bob", "ScoreFlow", "2", MON, 10, vcpus=8), job("bob", "ScoreFlow", "2", MON, 1, queue="elsewhere", vcpus=1, job_id="other")])
    mix = 0.2 + 0.8 * 0.35
    assert math.isclose(PRICES.mix, mix)
    by_flow = pf.cost_by(jobs, PRICES, "flow").set_index("flow")
    assert math.isclose(by_flow.loc["TrainFlow", "cost_usd"], 2 * 0.526 * mix)  # GPU-hours x $/GPU-h, vCPUs included
    assert by_flow.loc["TrainFlow", "gpu_hours"] == 2 and by_flow.loc["TrainFlow", "vcpu_hours"] == 8
    assert math.isclose(by_flow.loc["ScoreFlow", "cost_usd"], 81 * 0.0425 * mix)
    assert list(pf.cost_by(jobs, PRICES, "engineer")["engineer"]) == ["bob", "ann"]
    assert list(pf.job_costs(jobs, PRICES)["unpriced_queue"]) == [False, False, True]
    assert "c5.2xlarge $0.0425/vCPU-h" in PRICES.basis and "20% on-demand" in PRICES.basis


def test_lead_time_and_spend() -> None:
    lt = pf.lead_time([{"flow": "A", "seconds": 3600}, {"flow": "A", "seconds": 7200}, {"flow": "A", "seconds": 36000}]).set_index("flow").loc["A"]
    assert (lt["deployments"], lt["median_hours"], lt["max_hours"]) == (3, 2.0, 10.0)
    total = pf.cost_explorer_total([{"Total": {"UnblendedCost": {"Amount": "12.5", "Unit": "USD"}}}, {"Total": {"UnblendedCost": {"Amount": "7.5", "Unit": "USD"}}}])
    spend = pf.spend_against_budget(total, {"BudgetLimit": {"Amount": "300", "Unit": "USD"}, "CalculatedSpend": {"ActualSpend": {"Amount": "18", "Unit": "USD"}}}).iloc[0]
    assert (spend["month_to_date_usd"], spend["budget_usd"], spend["budget_actual_usd"]) == (20.0, 300.0, 18.0)
    assert math.isclose(spend["share_of_budget"], 20 / 300) and math.isnan(spend["budget_forecast_usd"])


def test_empty_inputs_give_empty_figures() -> None:
    jobs = pf.jobs_frame([])
    runs = pf.executions_frame([], PREFIX)
    deps = pf.deployments_frame([], PREFIX)
    assert pf.runs_per_week(runs, jobs).empty and pf.deployments_per_week(deps).empty and pf.change_failure(deps, runs).empty
    assert pf.time_to_restore(runs).empty and pf.cost_by(jobs, PRICES, "flow").empty and pf.lead_time([]).empty
