"""Seeds moto with what the weekly platform report reads, as the stack and CI would have written it, and prints the
figures the report must find, as JSON:

    python3 seed_report.py '<settings JSON: name -> value, the planned ones and the delivery ones>'

The settings go under ``/<namePrefix>/settings/``; the three event logs get EventBridge's events (two flows, two
engineers, a deployment followed by a failure then a success), the delivery namespace the lead-time metric, Cost
Explorer a queued answer (moto-api ``/moto-api/static/ce/cost-and-usage-results``), Budgets the stack's budget.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import urllib.request
from typing import Any, Dict, List

import boto3

HOUR = 3_600_000
ACCOUNT = "123456789012"


def client(service: str) -> Any:
    return boto3.client(service, endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")


def put_events(group: str, events: List[Dict[str, Any]]) -> None:
    logs = client("logs")
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="events")
    ordered = sorted(events, key=lambda e: e["ts"])
    logs.put_log_events(logGroupName=group, logStreamName="events", logEvents=[{"timestamp": e["ts"], "message": json.dumps(e["event"])} for e in ordered])


def execution(prefix: str, flow: str, n: int, status: str, start: int, hours: float) -> Dict[str, Any]:
    sm = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:{prefix}_{flow}"
    detail = {"executionArn": f"arn:aws:states:us-east-1:{ACCOUNT}:execution:{prefix}_{flow}:{n}", "stateMachineArn": sm, "name": str(n), "status": status, "startDate": start, "stopDate": start + int(hours * HOUR)}
    return {"ts": detail["stopDate"], "event": {"source": "aws.states", "detail-type": "Step Functions Execution Status Change", "detail": detail}}


def deployment(prefix: str, flow: str, at: int, update: bool) -> Dict[str, Any]:
    when = dt.datetime.fromtimestamp(at / 1000, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    params = {"stateMachineArn": f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:{prefix}_{flow}"} if update else {"name": f"{prefix}_{flow}"}
    detail = {"eventName": "UpdateStateMachine" if update else "CreateStateMachine", "eventTime": when, "eventSource": "states.amazonaws.com", "requestParameters": params}
    return {"ts": at, "event": {"source": "aws.states", "detail-type": "AWS API Call via CloudTrail", "time": when, "detail": detail}}


def job(queue: str, user: str, flow: str, run: str, start: int, hours: float, vcpus: int, gpus: int = 0, owner: str = "") -> List[Dict[str, Any]]:
    req = [{"type": "VCPU", "value": str(vcpus)}, {"type": "MEMORY", "value": "4096"}] + ([{"type": "GPU", "value": str(gpus)}] if gpus else [])
    tags = {"app": "metaflow", "metaflow.flow_name": flow, "metaflow.user": user, **({"metaflow.owner": owner} if owner else {})}
    base = {"jobId": f"{user}-{flow}-{run}-{start}", "jobName": f"{user}-{flow}-{run}-start-1-0", "jobQueue": queue, "container": {"resourceRequirements": req}, "tags": tags, "startedAt": start}
    running = {**base, "status": "RUNNING"}
    done = {**base, "status": "SUCCEEDED", "stoppedAt": start + int(hours * HOUR)}
    return [{"ts": start, "event": {"source": "aws.batch", "detail-type": "Batch Job State Change", "detail": running}}, {"ts": done["stoppedAt"], "event": {"source": "aws.batch", "detail-type": "Batch Job State Change", "detail": done}}]


def seed(settings: Dict[str, str]) -> Dict[str, Any]:
    prefix = settings["budget-name"].rsplit("-monthly", 1)[0]
    now = int(dt.datetime.now(dt.timezone.utc).timestamp() * 1000)
    day = 24 * HOUR
    t0 = now - 10 * day
    ssm = client("ssm")
    for name, value in settings.items():
        ssm.put_parameter(Name=f"/{prefix}/settings/{name}", Value=value, Type="String", Overwrite=True)
    # TrainFlow: deployed, fails, restored 3 h after the failure ended; redeployed, succeeds. ScoreFlow: deployed, succeeds.
    put_events(settings["deployment-log"], [deployment(prefix, "TrainFlow", t0, False), deployment(prefix, "TrainFlow", t0 + 5 * day, True), deployment(prefix, "ScoreFlow", t0 + 6 * day, False)])
    put_events(settings["pipeline-event-log"], [
        execution(prefix, "TrainFlow", 1, "FAILED", t0 + day, 1), execution(prefix, "TrainFlow", 2, "SUCCEEDED", t0 + day + 3 * HOUR, 1),
        execution(prefix, "TrainFlow", 3, "SUCCEEDED", t0 + 6 * day, 1), execution(prefix, "ScoreFlow", 4, "SUCCEEDED", t0 + 7 * day, 1),
    ])
    prices = json.loads(settings["batch-prices"])
    cpu = next(q for q, k in prices["queues"].items() if k == "cpu")
    gpu = next(q for q, k in prices["queues"].items() if k == "gpu")
    put_events(settings["pipeline-job-log"], [
        *job(cpu, "ann", "TrainFlow", "11", t0 + 2 * HOUR, 2, 4),
        *job(gpu, "bob", "ScoreFlow", "12", t0 + 3 * HOUR, 1, 4, gpus=1),
        *job(cpu, "SFN", "TrainFlow", "", t0 + 6 * day, 1, 8, owner="ann"),
    ])
    cw = client("cloudwatch")
    for at, seconds in ((t0, 3600.0), (t0 + 5 * day, 7200.0)):
        cw.put_metric_data(Namespace=settings["delivery-namespace"], MetricData=[{"MetricName": "LeadTimeSeconds", "Dimensions": [{"Name": "Flow", "Value": "TrainFlow"}], "Value": seconds, "Unit": "Seconds", "Timestamp": dt.datetime.fromtimestamp(at / 1000, dt.timezone.utc)}])
    result = {"ResultsByTime": [{"TimePeriod": {"Start": "2026-12-01", "End": "2026-12-08"}, "Total": {"UnblendedCost": {"Amount": "123.45", "Unit": "USD"}}, "Groups": [], "Estimated": True}], "DimensionValueAttributes": []}
    request = urllib.request.Request(f"{os.environ['AWS_ENDPOINT_URL']}/moto-api/static/ce/cost-and-usage-results", data=json.dumps({"results": [result]}).encode(), headers={"Content-Type": "application/json"}, method="POST")
    assert urllib.request.urlopen(request).status == 201
    client("budgets").create_budget(AccountId=ACCOUNT, Budget={"BudgetName": settings["budget-name"], "BudgetLimit": {"Amount": settings["monthly-budget-usd"], "Unit": "USD"}, "TimeUnit": "MONTHLY", "BudgetType": "COST", "CalculatedSpend": {"ActualSpend": {"Amount": "100", "Unit": "USD"}}})
    mix = prices["onDemandShare"] + (1 - prices["onDemandShare"]) * prices["spotFactor"]
    return {
        "prefix": prefix,
        "cost_per_flow": {"TrainFlow": (2 * 4 + 1 * 8) * prices["cpu"]["vcpuHourUsd"] * mix, "ScoreFlow": 1 * prices["gpu"]["gpuHourUsd"] * mix},
        "cost_per_engineer": {"ann": (2 * 4 + 1 * 8) * prices["cpu"]["vcpuHourUsd"] * mix, "bob": 1 * prices["gpu"]["gpuHourUsd"] * mix},
    }


if __name__ == "__main__":
    print(json.dumps(seed(json.loads(sys.argv[1]))))
