"""Running estimates that keep the detector honest on real data: dispersion and the tail of the scores.

`Dispersion` fits the negative binomial phi of window sums, with bounded influence.
`TailCalibration` turns the false-alarm budget into a score threshold. A score is -ln(p) of the
negative binomial test; were the model exact and the buckets independent, P(score > x) = exp(-x) and
the threshold would simply be -ln(alpha). Real counts have heavier tails than any fitted negative
binomial (mis-estimated seasonality, bursts of reposts, events nobody labels) and overlapping windows
make exceedances come in runs, so the threshold comes from peaks over threshold on declustered runs:
the rate of runs above a reference level u, and an exponential fit (mean beta) to the excess of each
run's peak, learnt on the series' own history and shrunk towards the exact model.
"""

from __future__ import annotations

import math


class Dispersion:
    """Running estimate of phi (var = mean + phi * mean^2) from sums over windows of `length` buckets.

    Each window gives an unbiased estimate ((S - E)^2 - E) / E^2 whose variance is about
    2 (1/E + phi)^2; the estimates are averaged with inverse-variance weights (so windows of a fraction
    of a story count for little) and combined with a prior of fixed precision. Overlapping windows share
    data, so their weight is divided by the window length. Each sum is first clipped to `clip` standard
    deviations of the current fit, so bursts the detector missed have bounded influence.
    """

    def __init__(self, prior: float, prior_precision: float, decay: float, clip: float, length: int) -> None:
        self._prior = prior
        self._prior_precision = prior_precision
        self._decay = decay
        self._clip = clip
        self._scale = 1.0 / (2.0 * length)
        self._weighted = 0.0
        self._weights = 0.0
        self.phi = prior

    def add(self, observed: float, expected: float) -> None:
        """Take in one window's observed sum and its forecast."""
        if expected <= 0:
            return
        phi = self.phi
        spread = self._clip * math.sqrt(expected + phi * expected * expected)
        observed = min(max(observed, expected - spread), expected + spread)
        shrink = 1.0 / (1.0 + phi * expected) ** 2
        # weight * estimate, with weight = (E / (1 + phi E))^2 and estimate = ((S - E)^2 - E) / E^2
        self._weighted = self._weighted * self._decay + ((observed - expected) ** 2 - expected) * shrink
        self._weights = self._weights * self._decay + expected * expected * shrink
        precision = self._weights * self._scale
        estimate = (self._prior_precision * self._prior + self._weighted * self._scale) / (
            self._prior_precision + precision
        )
        self.phi = max(0.0, estimate)


class TailCalibration:
    """Declustered peaks-over-threshold fit of the score tail; `threshold(alpha)` spends the budget.

    Exceedances of the reference level come in runs (overlapping windows see the same excursion) and a
    run yields at most one alert, so the fit is over runs: their rate per bucket and the excess of each
    run's peak (runs end after `run_gap` buckets below the reference). A run that alerted is censored at
    the threshold it crossed. Both are shrunk towards the exact model (independent buckets, beta = 1).
    """

    def __init__(self, reference_p: float, prior_runs: float, decay: float, run_gap: int) -> None:
        self.reference = -math.log(reference_p)
        self._reference_p = reference_p
        self._prior = prior_runs
        self._decay = decay
        self._run_gap = run_gap
        self._since = run_gap
        self._buckets = 0.0
        self._runs = 0.0
        self._peaks = 0.0  # completed uncensored runs
        self._excess = 0.0  # summed peak excesses (censored runs at their threshold)
        self._open: float | None = None  # peak excess of the run under way
        self._censored = False

    def observe(self, score: float, censored_at: float | None = None) -> None:
        """Take in one ordinary bucket's score, or (censored_at set) a bucket that alerted at that threshold."""
        decay = self._decay
        self._buckets = self._buckets * decay + 1.0
        self._runs *= decay
        self._peaks *= decay
        self._excess *= decay
        if censored_at is None and score <= self.reference:
            self._since += 1
            if self._open is not None and self._since >= self._run_gap:
                self._close()
            return
        if self._open is None:
            self._runs += 1.0
            self._open = 0.0
        if censored_at is not None:
            self._censored = True
            self._open = max(self._open, censored_at - self.reference)
        else:
            self._open = max(self._open, score - self.reference)
        self._since = 0

    def skip(self) -> None:
        """A bucket inside an episode: it neither counts nor ends a run."""
        self._since = 0

    def _close(self) -> None:
        assert self._open is not None
        self._excess += self._open
        if not self._censored:
            self._peaks += 1.0
        self._open = None
        self._censored = False

    @property
    def beta(self) -> float:
        """Mean peak excess over the reference level, relative to the exact model's 1 (never below 1)."""
        return max(1.0, (self._excess + self._prior) / (self._peaks + self._prior))

    @property
    def run_rate(self) -> float:
        """Runs per bucket (the exact model with independent buckets: the reference p-value)."""
        return (self._runs + self._prior) / (self._buckets + self._prior / self._reference_p)

    def threshold(self, alpha: float) -> float:
        """The score a run's peak passes with probability alpha per bucket, on this series."""
        return self.reference + self.beta * max(0.0, math.log(self.run_rate / alpha))
