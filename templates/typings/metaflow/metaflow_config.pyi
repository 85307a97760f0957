# The configuration values the templates read (metaflow/metaflow_config.py of Metaflow 2.19.38).
from typing import Optional

SFN_STATE_MACHINE_PREFIX: Optional[str]
