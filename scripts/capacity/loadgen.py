"""
The capacity benchmark's load generator: replays the recorded request mix (scripts/capacity/mix.ts) against the
metadata service, modelling ENGINEERS engineers each running a WIDTH-way foreach, over and over until the level's
time is up. One engineer's cycle: the run's requests before the fan-out (run, steps, start task), then WIDTH tasks at
once, each sending one recorded foreach task's requests (create the task, metadata, artifacts, heartbeats), then the
run's requests after it (join, end). Paced (spec "paced"), each task waits the recorded pause before each of its
requests, as the recorded task did (its process starting, its work, its heartbeat); in a burst it sends them back to
back. Paced tasks of one foreach start at random moments over the spec's startSpreadSeconds (Batch starts a foreach's
containers over seconds, not at one instant); burst tasks all at once. The run's own requests are sent back to back
in both. Ids are fresh: run numbers and task ids are the ones the
service returns, and the recorded bodies get them in place of the recorded ones, so inserts do not collide.

    /usr/bin/python3 loadgen.py <spec.json>      (prints one JSON document)

Every request is bounded by the spec's timeout; the level stops issuing requests at its deadline and waits for the
ones in flight. Debian's python3-aiohttp.
"""
import asyncio
import json
import random
import resource
import sys
import time
from typing import Any, Dict, List, Optional

from aiohttp import ClientError, ClientSession, ClientTimeout, TCPConnector

ID_KEYS = ("flow_id", "run_number", "task_id")


class Level:
    def __init__(self, spec: Dict[str, Any]) -> None:
        self.spec = spec
        self.base = f"http://127.0.0.1:{spec['port']}"
        self.deadline = 0.0
        self.latencies: List[float] = []
        self.errors: Dict[str, int] = {}
        self.statuses: Dict[str, int] = {}
        self.foreaches = 0
        self.tasks = 0
        self.samples: List[str] = []
        self.keys: List[str] = []

    def fill(self, value: Any, ctx: Dict[str, str]) -> Any:
        if isinstance(value, list):
            return [self.fill(v, ctx) for v in value]
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if k in ID_KEYS and k in ctx:
                    out[k] = int(ctx[k]) if isinstance(v, int) and ctx[k].isdigit() else ctx[k]
                elif k == "ts_epoch":
                    out[k] = int(time.time() * 1000)
                else:
                    out[k] = self.fill(v, ctx)
            return out
        return value

    async def send(self, session: ClientSession, req: Dict[str, Any], ctx: Dict[str, str]) -> Optional[Any]:
        path = req["path"]
        for k in ID_KEYS:
            path = path.replace("{" + k + "}", ctx.get(k, ""))
        body = self.fill(req["body"], ctx) if "body" in req else None
        started = time.monotonic()
        kind = None
        result = None
        try:
            async with session.request(req["method"], self.base + path, json=body) as response:
                text = await response.read()
                self.statuses[str(response.status)] = self.statuses.get(str(response.status), 0) + 1
                if response.status >= 500:
                    kind = "5xx"
                elif response.status >= 300 and response.status not in req.get("ok", []):
                    kind = f"{response.status}"
                elif req["method"] == "POST" and text:
                    result = json.loads(text)
        except asyncio.TimeoutError:
            kind = "timeout"
        except ClientError as err:
            kind = f"connection ({type(err).__name__})"
        self.latencies.append((time.monotonic() - started) * 1000)
        self.keys.append(f"{req['method']} {req['path']}")
        if kind:
            self.errors[kind] = self.errors.get(kind, 0) + 1
            if len(self.samples) < 5:
                self.samples.append(f"{req['method']} {req['path']}: {kind}")
        return result

    async def sequence(self, session: ClientSession, reqs: List[Dict[str, Any]], ctx: Dict[str, str], paced: bool = False) -> None:
        for req in reqs:
            if paced and req.get("pauseMs"):
                await asyncio.sleep(req["pauseMs"] / 1000)
            if time.monotonic() > self.deadline:
                return
            result = await self.send(session, req, ctx)
            if isinstance(result, dict):
                if req["path"].endswith("/run") and "run_number" in result:
                    ctx["run_number"] = str(result["run_number"])
                elif req["path"].endswith("/task") and "task_id" in result:
                    ctx["task_id"] = str(result["task_id"])

    async def foreach_task(self, session: ClientSession, ctx: Dict[str, str]) -> None:
        if self.spec["paced"]:
            # The tasks of a foreach do not start at one instant: Batch starts their containers over seconds.
            await asyncio.sleep(random.uniform(0, self.spec["startSpreadSeconds"]))
        await self.sequence(session, self.spec["taskSequence"], dict(ctx), self.spec["paced"])
        if time.monotonic() <= self.deadline:
            self.tasks += 1

    async def engineer(self, session: ClientSession, n: int) -> None:
        flow = f"{self.spec['flow']}E{n}"
        while time.monotonic() < self.deadline:
            ctx = {"flow_id": flow}
            await self.sequence(session, self.spec["runBefore"], ctx)
            await asyncio.gather(*(self.foreach_task(session, ctx) for _ in range(self.spec["width"])))
            await self.sequence(session, self.spec["runAfter"], ctx)
            if time.monotonic() <= self.deadline:
                self.foreaches += 1

    async def run(self) -> Dict[str, Any]:
        spec = self.spec
        timeout = ClientTimeout(total=spec["timeoutSeconds"])
        async with ClientSession(connector=TCPConnector(limit=0, force_close=False), timeout=timeout) as session:
            for n in range(spec["engineers"]):
                async with session.post(f"{self.base}/flows/{spec['flow']}E{n}", json={"user_name": "capacity", "tags": [], "system_tags": []}) as r:
                    await r.read()
            cpu0 = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
            started = time.monotonic()
            self.deadline = started + spec["seconds"]
            await asyncio.gather(*(self.engineer(session, n) for n in range(spec["engineers"])))
            wall = time.monotonic() - started
            cpu = sum(resource.getrusage(resource.RUSAGE_SELF)[:2]) - cpu0
        return {"wallSeconds": wall, "latenciesMs": [round(x, 2) for x in self.latencies], "requestKeys": self.keys, "errors": self.errors, "statuses": self.statuses, "errorSamples": self.samples, "foreaches": self.foreaches, "tasks": self.tasks, "loadgenCpuSeconds": cpu}


def main() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with open(sys.argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    print(json.dumps(asyncio.run(Level(spec).run())))


if __name__ == "__main__":
    main()
