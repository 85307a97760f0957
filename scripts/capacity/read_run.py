"""
Reads the latest run of a flow through Metaflow's Client API, as the UI and notebooks do: the run and its status,
every step, every task with its metadata and its artifacts' metadata (names, sha, not the data: the UI lists them).

    METAFLOW_DEFAULT_METADATA=service METAFLOW_SERVICE_URL=... python3 read_run.py <FlowName>

Prints one JSON line: what it read (counts), so the benchmark can check the recording saw a complete read.
"""
import json
import sys

from metaflow import Flow, namespace


def main() -> None:
    namespace(None)
    run = Flow(sys.argv[1]).latest_run
    if run is None:
        sys.exit(f"no run of {sys.argv[1]}")
    seen = {"run": run.pathspec, "successful": run.successful, "finished": run.finished, "steps": 0, "tasks": 0, "artifacts": 0, "metadata": 0}
    for s in run:
        seen["steps"] += 1
        for t in s:
            seen["tasks"] += 1
            seen["metadata"] += len(t.metadata)
            _ = t.finished, t.successful
            for a in t:
                seen["artifacts"] += 1
                _ = a.sha, a.created_at
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
