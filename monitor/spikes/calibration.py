"""Running estimates that keep the detector honest on real data: dispersion and the tail of the scores.

`Dispersion` fits the negative binomial phi of window sums by moments, with bounded influence.
`TailCalibration` turns the false-alarm budget into a score threshold. A score is -ln(p) of the
negative binomial test; were the model exact, P(score > x) = exp(-x) and the threshold would simply be
-ln(alpha). Real counts have heavier tails than any fitted negative binomial (mis-estimated seasonality,
bursts of reposts, events nobody labels), so the threshold is set by peaks over threshold: scores above a
reference level u are modelled as u + exponential excesses with mean beta, fitted on the series' own
ordinary buckets (censored at the threshold for buckets that alerted), and shrunk towards the exact
model (beta = 1, nominal rate at u). The calibration only ever raises the threshold above -ln(alpha).
"""

from __future__ import annotations

import math


class Dispersion:
    """Exponentially weighted moment estimate of phi from window sums: E[(S-E)^2 - E] / E[E^2].

    Each window sum is first clipped to `clip` standard deviations of the current fit, so bursts the
    detector missed cannot inflate the dispersion without bound (Huber-style bounded influence).
    """

    def __init__(self, prior: float, prior_windows: float, decay: float, clip: float) -> None:
        self._prior = prior
        self._prior_windows = prior_windows
        self._decay = decay
        self._clip = clip
        self._excess = 0.0
        self._square = 0.0
        self._windows = 0.0
        self.phi = prior

    def add(self, observed: float, expected: float) -> None:
        """Take in one window's (cleaned) observed sum and its forecast."""
        spread = self._clip * math.sqrt(expected + self.phi * expected * expected)
        observed = min(max(observed, expected - spread), expected + spread)
        self._excess = self._excess * self._decay + (observed - expected) ** 2 - expected
        self._square = self._square * self._decay + expected * expected
        self._windows = self._windows * self._decay + 1.0
        mean_square = self._square / self._windows
        pseudo = self._prior_windows * mean_square
        if self._square + pseudo > 0:
            self.phi = max(0.0, (self._excess + self._prior * pseudo) / (self._square + pseudo))


class TailCalibration:
    """Peaks-over-threshold fit of the score tail; `threshold(alpha)` meets a per-bucket false-alarm rate."""

    def __init__(self, reference_p: float, prior_exceedances: float, decay: float) -> None:
        self.reference = -math.log(reference_p)
        self._reference_p = reference_p
        self._prior = prior_exceedances
        self._decay = decay
        self._buckets = 0.0
        self._exceedances = 0.0
        self._uncensored = 0.0
        self._excess = 0.0

    def observe(self, score: float, censored_at: float | None = None) -> None:
        """Take in one ordinary bucket's score, or (censored_at set) a bucket that alerted at that threshold."""
        self._buckets = self._buckets * self._decay + 1.0
        self._exceedances *= self._decay
        self._uncensored *= self._decay
        self._excess *= self._decay
        if censored_at is not None:
            self._exceedances += 1.0
            self._excess += max(0.0, censored_at - self.reference)
        elif score > self.reference:
            self._exceedances += 1.0
            self._uncensored += 1.0
            self._excess += score - self.reference

    @property
    def beta(self) -> float:
        """Mean excess over the reference level, relative to the exact model's 1 (never below 1)."""
        return max(1.0, (self._excess + self._prior) / (self._uncensored + self._prior))

    @property
    def exceedance_rate(self) -> float:
        """How often scores pass the reference level (never below the exact model's rate)."""
        pseudo_buckets = self._prior / self._reference_p
        rate = (self._exceedances + self._prior) / (self._buckets + pseudo_buckets)
        return max(self._reference_p, rate)

    def threshold(self, alpha: float) -> float:
        """The score above which a bucket should be that rare (probability alpha) on this series."""
        nominal = -math.log(alpha)
        if nominal <= self.reference:
            return nominal
        return max(nominal, self.reference + self.beta * math.log(self.exceedance_rate / alpha))
