from __future__ import annotations

from pathlib import Path

import pytest

from tiny_dataset import write_dataset


@pytest.fixture
def tiny_dir(tmp_path) -> Path:
    """The hand-written tiny dataset (tests/tiny_dataset.py) in a temporary folder."""
    return write_dataset(tmp_path / "tiny")


@pytest.fixture(scope="session")
def dask_client():
    """One real distributed.LocalCluster (2 worker processes) shared by the Dask tests of the session."""
    pytest.importorskip("distributed")
    from partsopt.dask_backend import connect

    with connect(local="local:2", timeout=60) as client:
        yield client
