from __future__ import annotations

from pathlib import Path

import pytest

from tiny_dataset import write_dataset


@pytest.fixture
def tiny_dir(tmp_path) -> Path:
    """The hand-written tiny dataset (tests/tiny_dataset.py) in a temporary folder."""
    return write_dataset(tmp_path / "tiny")
