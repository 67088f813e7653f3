"""The object every forecasting kernel returns: the fitted state of a panel."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._checks import check_horizon

__all__ = ["FitResult"]


@dataclass
class FitResult:
    """State of one method fitted on a panel of N series x T periods.

    Attributes
    ----------
    method : registry name of the method.
    params : dict of the smoothing parameters used; a value is a float when it is
        the same for every series and an (N,) array when it was optimised per series
        (e.g. ``{"alpha": array([...])}``), plus method-specific extras such as
        ``"k"`` (aggregation level per series) for ADIDA.
    level : (N,) float64 -- the one-step-ahead point forecast [demand units per
        period] after the last observed period.  Flat methods forecast this value
        for every step of the horizon.
    fitted : (N, T) float64 or None -- in-sample one-step-ahead forecasts:
        ``fitted[:, t]`` is the forecast of period ``t`` made from periods ``0..t-1``
        with the *final* parameters; NaN where no forecast exists (always period 0;
        see each method for more).  One-step errors are ``y - fitted``.
    trend : (N,) or None -- additive trend per period (Holt, Holt-Winters).
    phi : damping factor of the trend (1 = undamped).
    season : (N, m) or None -- additive seasonal terms; ``season[:, j]`` applies to
        forecast step ``j + 1 (mod m)``.
    """

    method: str
    params: dict
    level: np.ndarray
    fitted: np.ndarray | None = None
    trend: np.ndarray | None = None
    phi: float = 1.0
    season: np.ndarray | None = field(default=None)

    @property
    def n_series(self) -> int:
        return int(self.level.shape[0])

    def predict(self, h: int) -> np.ndarray:
        """Point forecasts for steps 1..h, shape (N, h) [demand units per period].

        Flat methods repeat ``level``.  With a trend: ``level + (phi + ... + phi^s) *
        trend`` (+ the seasonal term), clipped at 0 because demand cannot be negative.
        """
        h = check_horizon(h)
        out = np.repeat(self.level[:, None], h, axis=1)
        if self.trend is None and self.season is None:
            return out
        if self.trend is not None:
            steps = np.arange(1, h + 1, dtype=np.float64)
            if self.phi == 1.0:
                mult = steps
            else:
                mult = np.cumsum(self.phi ** steps)
            out = out + self.trend[:, None] * mult[None, :]
        if self.season is not None:
            m = self.season.shape[1]
            out = out + self.season[:, np.arange(h) % m]
        return np.maximum(out, 0.0)
