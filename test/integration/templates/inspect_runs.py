"""Prints, as JSON, what the integration tests check of Metaflow runs: python3 inspect_runs.py <pathspec>=<artifact,...> ...

Reads through Metaflow's Client API with the metadata and datastore the environment names, like an engineer would.
"""

import json
import sys

from metaflow import Run, namespace

namespace(None)
out = {}
for arg in sys.argv[1:]:
    pathspec, _, names = arg.partition("=")
    run = Run(pathspec)
    data = {}
    for name in filter(None, names.split(",")):
        value = getattr(run.data, name)
        if hasattr(value, "to_dict"):  # configs and frames
            value = value.to_dict() if not hasattr(value, "columns") else {"rows": len(value), "columns": list(value.columns)}
        data[name] = value
    out[pathspec] = {"successful": run.successful, "tags": sorted(run.tags), "data": data}
print(json.dumps(out, default=str))
