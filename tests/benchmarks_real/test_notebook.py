"""notebooks/real_data_results.ipynb runs (on the committed extract when ../shared is absent)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[2]


def test_real_data_notebook_executes(monkeypatch):
    nb = nbformat.read(ROOT / "notebooks" / "real_data_results.ipynb", as_version=4)
    monkeypatch.setenv("PARTSOPT_ROOT", str(ROOT))
    monkeypatch.setenv("PARTSOPT_NOTEBOOK_EXTRACT", "1")  # run on the committed extract, not ../shared
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT / "notebooks")}})
    client.execute()
    outs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outs if o.get("output_type") == "error"]
    text = " ".join(str(o.get("data", {}).get("text/plain", "")) for o in outs)
    assert "part_lines" in text and "ENGINE OIL" in text
    assert "two_wheeler_service_lines_every70.csv 407 lines" in " ".join(str(o.get("text", "")) for o in outs)
