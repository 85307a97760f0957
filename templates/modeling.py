"""The model the templates share, kept small so the patterns stay readable: replace it with yours.

A linear classifier trained epoch by epoch (``partial_fit``), which is what makes checkpoints and resumption easy
to show; a PyTorch model on the GPU queue follows the same shape (state dict per epoch, resume on retry).
Heavy imports happen inside functions: Metaflow imports the flow file on machines without these libraries
(e.g. to deploy it), and each step pays only for what it uses.
"""

from __future__ import annotations

import io
import pickle
from typing import Any, Dict, List, Sequence, Tuple

FEATURES: List[str] = ["f0", "f1", "f2", "f3"]
LABEL = "label"


def synthetic_frame(rows: int, seed: int, shift: float = 0.0) -> Any:
    """A labelled pandas DataFrame: four features and a binary label; ``shift`` moves the feature distribution."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    x = rng.normal(loc=shift, scale=1.0, size=(rows, len(FEATURES)))
    weights = np.array([1.5, -2.0, 0.7, 0.0])
    label = ((x - shift) @ weights + rng.normal(scale=0.5, size=rows) > 0).astype(int)
    frame = pd.DataFrame(x, columns=FEATURES)
    frame[LABEL] = label
    return frame


def frame_from_csv(data: bytes) -> Any:
    import pandas as pd

    frame = pd.read_csv(io.BytesIO(data))
    missing = [c for c in FEATURES + [LABEL] if c not in frame.columns]
    if missing:
        raise ValueError(f"input data lacks the column(s) {missing}")
    return frame


def new_model(learning_rate: float, seed: int) -> Any:
    from sklearn.linear_model import SGDClassifier

    return SGDClassifier(loss="log_loss", learning_rate="constant", eta0=learning_rate, random_state=seed)


def train_epoch(model: Any, frame: Any, epoch: int, batch_size: int) -> Any:
    """One pass over ``frame`` in shuffled mini-batches."""
    import numpy as np

    order = np.random.default_rng(epoch).permutation(len(frame))
    x = frame[FEATURES].to_numpy()[order]
    y = frame[LABEL].to_numpy()[order]
    for start in range(0, len(x), batch_size):
        model.partial_fit(x[start : start + batch_size], y[start : start + batch_size], classes=[0, 1])
    return model


def accuracy(model: Any, frame: Any) -> float:
    return float((model.predict(frame[FEATURES].to_numpy()) == frame[LABEL].to_numpy()).mean())


def dumps(model: Any) -> bytes:
    return pickle.dumps(model)


def loads(blob: bytes) -> Any:
    return pickle.loads(blob)


# Drift statistics between a reference sample (the training data) and recent inputs, per feature.


def psi(reference: Sequence[float], recent: Sequence[float], bins: int = 10) -> float:
    """Population stability index over the reference's quantile bins (0: same; > 0.2 usually means drift)."""
    import numpy as np

    ref = np.asarray(reference, dtype=float)
    new = np.asarray(recent, dtype=float)
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)))
    edges[0], edges[-1] = -np.inf, np.inf
    eps = 1e-6
    p = np.histogram(ref, edges)[0] / len(ref) + eps
    q = np.histogram(new, edges)[0] / len(new) + eps
    return float(np.sum((q - p) * np.log(q / p)))


def ks_statistic(reference: Sequence[float], recent: Sequence[float]) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: the largest gap between the two empirical CDFs (0 to 1)."""
    import numpy as np

    a = np.sort(np.asarray(reference, dtype=float))
    b = np.sort(np.asarray(recent, dtype=float))
    grid = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, grid, side="right") / len(a)
    cdf_b = np.searchsorted(b, grid, side="right") / len(b)
    return float(np.max(np.abs(cdf_a - cdf_b)))


def drift(reference: Any, recent: Any) -> Tuple[Dict[str, float], Dict[str, float]]:
    """PSI and KS per feature."""
    return (
        {f: psi(reference[f], recent[f]) for f in FEATURES},
        {f: ks_statistic(reference[f], recent[f]) for f in FEATURES},
    )


# Finding the model to use: the newest successful run of a training flow in the same project branch.

TRAINING_FLOWS = ("GpuTrainingFlow", "RetrainOnDataFlow")


def latest_model_run(branch: str, flows: Sequence[str] = TRAINING_FLOWS) -> Any:
    """The most recently finished successful run of ``flows`` tagged ``project_branch:<branch>``.

    Searched across namespaces (production runs have their own), narrowed by the project branch, so a prod
    deployment uses prod's models and a user branch its own.
    """
    from metaflow import Flow, namespace
    from metaflow.exception import MetaflowNotFound

    namespace(None)
    best: Any = None
    for name in flows:
        try:
            runs = Flow(name).runs(f"project_branch:{branch}")
        except MetaflowNotFound:
            continue
        for run in runs:  # newest first
            if run.successful and run.finished_at is not None:
                if best is None or run.finished_at > best.finished_at:
                    best = run
                break
    if best is None:
        raise LookupError(f"no successful run of {', '.join(flows)} in the project branch {branch}: train a model first")
    return best
