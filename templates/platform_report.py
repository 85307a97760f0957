"""The weekly platform report: runs, engineers, deployments, lead time, failures, cost and budget, as a card with plots.

    python platform_report.py run                       # the last 8 weeks
    python platform_report.py run --weeks 12
    python platform_report.py step-functions create     # with @schedule: every week

Patterns shown:
* everything read comes from what the platform records, named by its settings (never by hard-coded names): the
  pipeline event logs (``pipeline-event-log``: Step Functions executions; ``pipeline-job-log``: Batch jobs), the
  deployment log (``deployment-log``: CloudTrail's CreateStateMachine / UpdateStateMachine), the lead-time metric
  CI records (``LeadTimeSeconds`` in ``delivery-namespace``), Cost Explorer by the stack's cost tag (``cost-tag``),
  the stack's budget (``budget-name``) and its price table (``batch-prices``);
* Metaflow's Client API for what Metaflow itself saw: runs per flow in the window;
* the figures are computed by ``platform_figures`` (pure, unit-tested), written as CSV under the data root
  (``reports/platform/<run>/``) and drawn on the card, one plot per group.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Dict, Iterator, List, Mapping

from metaflow import Config, FlowSpec, Parameter, card, current, project, schedule, step

import platform_params as pp

# platform_figures (pandas) and report_card (matplotlib) are imported in the steps: `step-functions create` needs only
# Metaflow where it runs (the CI deploy jobs install nothing else).

MAX_WEEKS = 52


def validate_weeks(weeks: int) -> int:
    """The window: 1 to 52 whole weeks, or a ValueError naming the value and what is allowed."""
    if not 1 <= int(weeks) <= MAX_WEEKS:
        raise ValueError(f"--weeks {weeks}: the report's window must be 1 to {MAX_WEEKS} weeks")
    return int(weeks)


def log_events(group: str, start: dt.datetime, end: dt.datetime) -> List[Dict[str, Any]]:
    """Every event of ``group`` between ``start`` and ``end`` (FilterLogEvents, all pages), JSON-decoded."""
    logs = pp.aws_client("logs")
    kwargs: Dict[str, Any] = {"logGroupName": group, "startTime": int(start.timestamp() * 1000), "endTime": int(end.timestamp() * 1000)}
    events: List[Dict[str, Any]] = []
    while True:
        page = logs.filter_log_events(**kwargs)
        events.extend(json.loads(e["message"]) for e in page.get("events", []))
        if not page.get("nextToken"):
            return events
        kwargs["nextToken"] = page["nextToken"]


def lead_time_samples(namespace: str, flows: List[str], start: dt.datetime, end: dt.datetime) -> Iterator[Dict[str, Any]]:
    """``LeadTimeSeconds`` per flow (dimension ``Flow``), one value a minute (CI records one per deployment)."""
    if not flows:
        return
    cw = pp.aws_client("cloudwatch")
    queries = [{"Id": f"m{i}", "Label": flow, "ReturnData": True, "MetricStat": {"Metric": {"Namespace": namespace, "MetricName": "LeadTimeSeconds", "Dimensions": [{"Name": "Flow", "Value": flow}]}, "Period": 60, "Stat": "Average"}} for i, flow in enumerate(flows[:500])]
    kwargs: Dict[str, Any] = {"MetricDataQueries": queries, "StartTime": start, "EndTime": end}
    while True:
        page = cw.get_metric_data(**kwargs)
        for result in page["MetricDataResults"]:
            flow = flows[int(result["Id"][1:])]
            yield from ({"flow": flow, "seconds": v} for v in result.get("Values", []))
        if not page.get("NextToken"):
            return
        kwargs["NextToken"] = page["NextToken"]


def month_to_date_cost(cost_tag: str, today: dt.date) -> float:
    """Cost Explorer's unblended cost since the first of the month, of resources tagged ``<key>=<value>`` (``cost-tag``)."""
    import platform_figures as pf

    key, value = cost_tag.split("=", 1)
    start, end = today.replace(day=1), today + dt.timedelta(days=1)
    ce = pp.aws_client("ce")
    kwargs: Dict[str, Any] = {"TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()}, "Granularity": "MONTHLY", "Metrics": ["UnblendedCost"], "Filter": {"Tags": {"Key": key, "Values": [value]}}}
    results: List[Dict[str, Any]] = []
    while True:
        page = ce.get_cost_and_usage(**kwargs)
        results.extend(page.get("ResultsByTime", []))
        if not page.get("NextPageToken"):
            return pf.cost_explorer_total(results)
        kwargs["NextPageToken"] = page["NextPageToken"]


def budget(name: str, prices: Mapping[str, Any]) -> Dict[str, Any]:
    """The stack's budget (DescribeBudget); the account is the one the price table's queues are in."""
    account = next(iter(prices["queues"])).split(":")[4]
    return pp.aws_client("budgets").describe_budget(AccountId=account, BudgetName=name)["Budget"]


def metaflow_runs(since: dt.datetime) -> List[Dict[str, Any]]:
    """Runs per flow that Metaflow's metadata holds, created since ``since`` (all namespaces)."""
    from metaflow import Metaflow, namespace

    namespace(None)
    rows = []
    for flow in Metaflow():
        count = 0
        for run in flow.runs():
            if run.created_at.replace(tzinfo=dt.timezone.utc) < since:
                break
            count += 1
        rows.append({"flow": flow.id, "runs": count})
    return rows


def state_machine_prefix(parameter_prefix: str) -> str:
    """METAFLOW_SFN_STATE_MACHINE_PREFIX of the profile, else the stack's name prefix (its default)."""
    from metaflow.metaflow_config import SFN_STATE_MACHINE_PREFIX

    return str(SFN_STATE_MACHINE_PREFIX or parameter_prefix.strip("/"))


@project(name="platform")
@schedule(weekly=True)
class PlatformReportFlow(FlowSpec):
    platform = Config("platform", default_value=pp.settings_config())
    weeks = Parameter("weeks", default=8, type=int, help=f"the report's window in weeks (1-{MAX_WEEKS})")

    @step
    def start(self) -> None:
        s = self.platform
        if not s.parameter_prefix:
            raise RuntimeError("the platform report reads the stack's logs, metrics and costs: set MF_PLATFORM_PREFIX (it needs AWS)")
        weeks = validate_weeks(int(self.weeks))
        self.window_end = dt.datetime.now(dt.timezone.utc)
        self.window_start = self.window_end - dt.timedelta(weeks=weeks)
        self.sfn_prefix = state_machine_prefix(s.parameter_prefix)
        import platform_figures as pf

        self.execution_events = log_events(s.pipeline_event_log, self.window_start, self.window_end)
        self.job_events = log_events(s.pipeline_job_log, self.window_start, self.window_end)
        self.deployment_events = log_events(s.deployment_log, self.window_start, self.window_end)
        # CI records lead time per FlowSpec class (Flow=<class>); under @project a state machine is <project>.<branch>.<Flow>.
        flows = sorted({str(f).rsplit(".", 1)[-1] for f in pf.deployments_frame(self.deployment_events, self.sfn_prefix)["flow"]})
        self.lead_time_samples = list(lead_time_samples(s.delivery_namespace, flows, self.window_start, self.window_end))
        self.month_to_date_usd = month_to_date_cost(s.cost_tag, self.window_end.date())
        self.budget = budget(s.budget_name, s.batch_prices)
        self.metaflow_runs = metaflow_runs(self.window_start)
        self.next(self.report)

    @card(type="blank", id="report")
    @step
    def report(self) -> None:
        import platform_figures as pf
        import report_card

        self.figures = self.compute_figures()
        root = f"{str(self.platform.data_root).rstrip('/')}/reports/platform/{current.run_id}"
        self.csv_urls = {name: pp.write_bytes(f"{root}/{name}.csv", frame.to_csv(index=False).encode()) for name, frame in self.figures.items()}
        report_card.render(current.card["report"], self.figures, pf.Prices.parse(self.platform.batch_prices).basis, self.window_start, self.window_end)
        self.next(self.end)

    def compute_figures(self) -> Dict[str, Any]:
        """Every figure, as a DataFrame, keyed by the CSV's name."""
        import pandas as pd

        import platform_figures as pf

        prices = pf.Prices.parse(self.platform.batch_prices)
        executions = pf.executions_frame(self.execution_events, self.sfn_prefix)
        deployments = pf.deployments_frame(self.deployment_events, self.sfn_prefix)
        jobs = pf.jobs_frame(self.job_events)
        return {
            "runs_per_week": pf.runs_per_week(executions, jobs),
            "metaflow_runs": pd.DataFrame(self.metaflow_runs, columns=["flow", "runs"]),
            "deployments_per_week": pf.deployments_per_week(deployments),
            "lead_time": pf.lead_time(self.lead_time_samples),
            "change_failure": pf.change_failure(deployments, executions),
            "time_to_restore": pf.time_to_restore(executions),
            "cost_per_flow": pf.cost_by(jobs, prices, "flow"),
            "cost_per_engineer": pf.cost_by(jobs, prices, "engineer"),
            "spend": pf.spend_against_budget(float(self.month_to_date_usd), self.budget),
        }

    @step
    def end(self) -> None:
        print(f"platform report {self.window_start:%Y-%m-%d} to {self.window_end:%Y-%m-%d}: " + ", ".join(f"{n} ({len(f)} rows)" for n, f in self.figures.items()))


if __name__ == "__main__":
    PlatformReportFlow()
