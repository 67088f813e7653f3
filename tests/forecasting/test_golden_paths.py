"""Every path of the vectorised golden-section search against a plain per-series one.

The search (forecasting/_ses.py, ORACLES.md F) keeps all series of a block in step;
series that stop early (a tie f(c) == f(d), or a bracket narrower than 1e-12) are
either frozen in place (fewer than 30 % stopped) or dropped from the working set
(compaction).  These tests build panels that force each path, with ragged lengths,
several blocks and other brackets, and require the alphas to be bit-identical to a
plain scalar implementation written from the definition.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from forecasting._ses import golden_section_alpha, golden_tm, ragged


def _sse(x, alpha):
    f, s = x[0], 0.0
    for i in range(1, len(x)):
        f = alpha * x[i - 1] + (1.0 - alpha) * f
        e = x[i] - f
        s += e * e
    return s


def _golden(x, lo, hi):
    gr = (math.sqrt(5.0) + 1.0) / 2.0
    a, b = lo, hi
    c, d = b - (b - a) / gr, a + (b - a) / gr
    fc, fd = _sse(x, c), _sse(x, d)
    while abs(b - a) >= 1e-12:
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - (b - a) / gr
            fc = _sse(x, c)
        elif fd < fc:
            a, c, fc = c, d, fd
            d = a + (b - a) / gr
            fd = _sse(x, d)
        else:
            break
    return (a + b) / 2.0


def _panel(n, t, tie_share, seed):
    """Poisson-ish intermittent rows; a share of rows constant (SSE 0 for every alpha,
    so a tie at the first comparison)."""
    rng = np.random.default_rng(seed)
    y = (rng.random((n, t)) < 0.4) * rng.poisson(3.0, (n, t)).astype(float)
    ties = rng.random(n) < tie_share
    y[ties] = rng.integers(0, 4, int(ties.sum()))[:, None].astype(float)
    return y


@pytest.mark.parametrize("tie_share", [0.0, 0.1, 0.6])
def test_golden_paths_match_plain(tie_share):
    # 0.1: ties are frozen in place; 0.6: ties are compacted out of the working set
    y = _panel(90, 23, tie_share, seed=11)
    ours = golden_section_alpha(y, None, 0.1, 0.3)
    ref = [_golden(list(r), 0.1, 0.3) for r in y]
    np.testing.assert_array_equal(ours, ref)


def test_golden_ragged_blocks_and_brackets_match_plain():
    y = _panel(70, 19, 0.2, seed=5)
    lengths = np.random.default_rng(6).integers(0, 20, 70)
    lengths[:3] = [1, 2, 0]             # one value, two values (SSE independent of alpha)
    for lo, hi in [(0.1, 0.3), (0.01, 0.99), (0.2, 0.2 + 3e-12), (0.25, 0.25)]:
        xt, active, order = ragged(np.ascontiguousarray(y.T), lengths)
        got = np.empty(70)
        got[order] = golden_tm(xt, active, lo, hi, block=16)     # several blocks
        ref = [_golden(list(r[:max(L, 1)]), lo, hi) for r, L in zip(y, lengths)]
        np.testing.assert_array_equal(got, ref)
