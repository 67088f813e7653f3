"""What machine a benchmark ran on (shared by the benchmark scripts)."""
from __future__ import annotations

import platform
import subprocess


def cpu_model() -> str:
    """The CPU model name from ``lscpu`` (or the platform's processor string)."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return platform.processor() or "unknown"


def machine_summary() -> str:
    """One line: cores, CPU model, Python, numpy and pandas versions."""
    import os

    import numpy as np
    import pandas as pd

    return (f"{os.cpu_count()} cores, {cpu_model()}; Python {platform.python_version()}, numpy {np.__version__}, "
            f"pandas {pd.__version__}")
