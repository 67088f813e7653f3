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


@pytest.fixture(scope="session")
def network_piece(tmp_path_factory):
    """A 24th of the parts of the small demo network (seed 5, every location) and its as-of date,
    shared by the network-allocation tests (one process and Dask)."""
    from partsopt.demo import generate
    from partsopt.demo.writer import save
    from partsopt.io import load
    from partsopt.partition import split_dataset

    net = generate("small", 5)
    ds = load(save(net, tmp_path_factory.mktemp("small") / "data", None))
    return split_dataset(ds, 24)[1], net.as_of
