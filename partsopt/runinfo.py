"""What every run records beside its outputs (``run.json``): run id, as-of, configuration, version.

The run id is deterministic - a fingerprint of the data, the resolved
configuration, the as-of date and the software version - so planning the same
data with the same configuration twice gives the same id (and an ERP export of
it is a no-op the second time).  ``created_at`` is the only wall-clock field.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json

import numpy as np
import pandas as pd

from partsopt import __version__
from partsopt.config import config_hash


def data_fingerprint(tables: dict[str, pd.DataFrame]) -> str:
    """A stable hash of table contents (pandas' row hashes, combined in order)."""
    h = hashlib.sha256()
    for name in sorted(tables):
        frame = tables[name]
        h.update(name.encode())
        h.update(",".join(map(str, frame.columns)).encode())
        if len(frame):
            h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy(np.uint64).tobytes())
    return h.hexdigest()[:16]


def make_run_info(kind: str, config: dict, tables: dict[str, pd.DataFrame], *, fingerprint: str | None = None,
                  **extra) -> dict:
    """The ``run.json`` record of a ``plan`` / ``simulate`` / ``whatif`` run.

    ``fingerprint``: the data fingerprint when ``tables`` are not at hand (a partitioned dataset
    records the fingerprint of the whole dataset when it is written).
    """
    chash = config_hash(config)
    fp = fingerprint or data_fingerprint(tables)
    key = json.dumps({"kind": kind, "config": chash, "data": fp, "version": __version__,
                      **{k: str(v) for k, v in extra.items()}}, sort_keys=True)
    run_id = f"{kind}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"
    return {"run_id": run_id, "kind": kind, "version": __version__, "config_hash": chash,
            "data_fingerprint": fp, **{k: (str(v) if not isinstance(v, (int, float, dict, list)) else v)
                                       for k, v in extra.items()},
            "config": config, "created_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}


def run_json(info: dict) -> str:
    return json.dumps(info, indent=2, sort_keys=False, default=str) + "\n"
