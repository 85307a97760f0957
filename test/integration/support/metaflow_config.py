"""Prints, as JSON, the configuration values Metaflow's own loader (metaflow/metaflow_config.py) computed from the
environment and $METAFLOW_HOME/config_<METAFLOW_PROFILE>.json: what Metaflow will actually use."""

import importlib
import json

# The pinned Metaflow is on PYTHONPATH only at test time (extracted from ../shared/vendor).
c = importlib.import_module("metaflow.metaflow_config")


def loaded() -> dict[str, object]:
    """Every setting the module defines (its upper-case names), with the values it computed."""
    out: dict[str, object] = {}
    for name in dir(c):
        if not name.isupper():
            continue
        value = getattr(c, name)
        try:
            json.dumps(value)
        except TypeError:
            continue
        out[name] = value
    return out


if __name__ == "__main__":
    print(json.dumps(loaded()))
