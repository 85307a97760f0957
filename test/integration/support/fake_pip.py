"""`python3 -m pip` for the workspace lifecycle script's test: never installs anything, never reaches a package index.

Called by the test's `python3` wrapper with pip's arguments (what follows `-m pip`). It appends them as one JSON line
to $FAKE_PIP_LOG and, for `install ... metaflow==<version>`, writes a metaflow-<version>.dist-info into $FAKE_PIP_SITE
(a folder on the script's PYTHONPATH), replacing any other version's, so that the script's next
`importlib.metadata.version("metaflow")` sees what pip would have installed. $FAKE_PIP_EXIT, when set, is the exit
status (an index that refuses, a failed install: nothing is written then).
"""

import json
import os
import shutil
import sys


def main(args: list[str]) -> int:
    with open(os.environ["FAKE_PIP_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps(args) + "\n")
    status = int(os.environ.get("FAKE_PIP_EXIT", "0"))
    if status != 0 or not args or args[0] != "install":
        return status
    site = os.environ["FAKE_PIP_SITE"]
    for arg in args[1:]:
        if arg.startswith("metaflow=="):
            for old in os.listdir(site):
                if old.startswith("metaflow-") and old.endswith(".dist-info"):
                    shutil.rmtree(os.path.join(site, old))
            version = arg[len("metaflow==") :]
            dist = os.path.join(site, f"metaflow-{version}.dist-info")
            os.makedirs(dist)
            with open(os.path.join(dist, "METADATA"), "w", encoding="utf-8") as f:
                f.write(f"Metadata-Version: 2.1\nName: metaflow\nVersion: {version}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
