"""Pieces of the spike detector: negative binomial tails, CSV counts, the chart, the synthetic streams."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest

from monitor.spikes.chart import render_chart
from monitor.spikes.nbinom import nbinom_sf, poisson_sf
from monitor.spikes.series import SeriesError, load_counts_csv
from monitor.spikes.synthetic import generate_stream, oracle_p


def nbinom_pmf(k: int, mean: float, phi: float) -> float:
    size = 1.0 / phi
    p = size / (size + mean)
    log = math.lgamma(k + size) - math.lgamma(size) - math.lgamma(k + 1) + size * math.log(p) + k * math.log1p(-p)
    return math.exp(log)


@pytest.mark.parametrize(("mean", "phi"), [(0.05, 0.3), (1.0, 0.1), (4.0, 1.0), (30.0, 0.05), (300.0, 0.02)])
def test_nbinom_tail_matches_summed_probabilities(mean: float, phi: float) -> None:
    """The incomplete-beta tail equals one minus the summed probabilities below k."""
    for k in (1, 2, 5, int(mean) + 1, int(3 * mean) + 3):
        below = sum(nbinom_pmf(j, mean, phi) for j in range(k))
        assert nbinom_sf(k, mean, phi) == pytest.approx(1.0 - below, rel=1e-7, abs=1e-12)


@pytest.mark.parametrize("mean", [0.2, 3.0, 80.0])
def test_poisson_tail_and_its_negative_binomial_limit(mean: float) -> None:
    """The Poisson tail is exact, the limit of the negative binomial as phi goes to 0, and lighter above the mean."""
    for k in (1, 3, int(mean * 2) + 2):
        above = sum(math.exp(-mean + j * math.log(mean) - math.lgamma(j + 1)) for j in range(k, k + 2000))
        assert poisson_sf(k, mean) == pytest.approx(above, rel=1e-9)
        assert nbinom_sf(k, mean, 1e-12) == pytest.approx(poisson_sf(k, mean), rel=1e-9)
    upper = int(mean * 2) + 2
    assert nbinom_sf(upper, mean, 0.5) > poisson_sf(upper, mean)


def test_tails_at_the_edges() -> None:
    """Nothing is rarer than certain (k <= 0), and a zero mean makes any positive count impossible."""
    assert nbinom_sf(0, 3.0, 0.2) == 1.0
    assert nbinom_sf(2, 0.0, 0.2) == 0.0
    assert nbinom_sf(20_000, 1000.0, 0.01) < 1e-100


def test_csv_counts_parse_with_or_without_header() -> None:
    """Timestamp,value rows become datetimes and floats; a header row and blank lines are skipped."""
    stamps, values = load_counts_csv("timestamp,value\n2015-03-01 00:00:00,4\n\n2015-03-01 01:00:00,0.5\n")
    assert stamps == [datetime(2015, 3, 1), datetime(2015, 3, 1, 1)]
    assert values == [4.0, 0.5]
    assert load_counts_csv("2026-01-01T00:00:00+00:00,1\n")[1] == [1.0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("timestamp,value\n2015-03-01 00:00,1\nyesterday,2\n", "line 3: bad timestamp"),
        ("2015-03-01 00:00,1\n2015-03-01 01:00,many\n", "line 2: bad value"),
        ("2015-03-01 00:00,1\n2015-03-01 01:00,-1\n", "line 2: value must be"),
        ("2015-03-01 01:00,1\n2015-03-01 00:00,1\n", "line 2: timestamp .* is not after"),
        ("2015-03-01 00:00,1,3\n", "line 1: expected 2 columns"),
        ("2015-03-01 00:00,1\n2015-03-01 01:00+00:00,1\n", "line 2: mixes"),
        ("timestamp,value\n", "no data rows"),
        (
            "timestamp,value\n2015-03-01 00:00,1\n2015-03-01 00:30,1\n\n2015-03-01 01:15,1\n",
            "line 5: .* off the 0:30:00 grid",
        ),
    ],
)
def test_csv_errors_name_the_line(text: str, message: str) -> None:
    """Bad rows are reported with their line number and what was wrong."""
    with pytest.raises(SeriesError, match=message):
        load_counts_csv(text)


def test_chart_draws_bars_to_scale_with_the_expectation() -> None:
    """The tallest count reaches the top row, zero counts stay blank, and the expected level is dashed."""
    chart = render_chart([0, 0, 8, 4, 0, 0], [2, 2, 2, 2, 2, 2], width=6, height=4)
    rows = chart.splitlines()
    assert len(rows) == 4
    assert rows[0] == "8 ┤  █   "
    assert rows[-1].startswith("0 ┤")
    bars = [row.split("┤", 1)[1] for row in rows]
    assert all(len(bar) == 6 for bar in bars)
    assert bars[2] == "╌╌██╌╌"


def test_chart_resamples_long_series_to_the_width() -> None:
    """A long series is folded into `width` columns that keep each slice's peak."""
    counts = [1.0] * 500
    counts[250] = 50.0
    rows = render_chart(counts, [1.0] * 500, width=40).splitlines()
    assert all(len(row.split("┤", 1)[1]) == 40 for row in rows)
    assert rows[0].count("█") == 1
    assert render_chart([], [], width=10) == ""
    with pytest.raises(ValueError):
        render_chart([1.0], [], width=10)


def test_synthetic_streams_are_seeded_and_labelled() -> None:
    """The same seed gives the same stream; bursts lie after the quiet period, 2-24 h long, 3x-20x."""
    first, again = generate_stream(11), generate_stream(11)
    assert first.counts == again.counts and first.bursts == again.bursts
    assert generate_stream(12).counts != first.counts
    assert len(first.counts) == 70 * 24 and 0.05 <= first.base_rate <= 4.0
    assert first.bursts
    for burst in first.bursts:
        assert burst.onset >= first.timestamps[0] + timedelta(days=14)
        assert timedelta(hours=2) <= burst.end - burst.onset <= timedelta(hours=24)
        assert 3.0 <= burst.multiplier <= 20.0
        assert burst.expected_excess > 0.0 and 0.0 <= burst.oracle_p <= 1.0


def test_oracle_labels_only_bursts_a_known_baseline_would_show() -> None:
    """A burst adding 0.2 stories is not detectable by the oracle; 10 stories over 2 quiet hours is."""
    tiny = oracle_p([0.05, 0.05], 0.2, 0.2)
    clear = oracle_p([0.5, 0.5], 10.0, 0.2)
    budget = 1.0 / 720 / 24
    assert tiny > 0.05 and clear < budget
    assert oracle_p([0.5, 0.5], 5.0, 0.2) > clear  # fewer extra stories, weaker evidence
    assert oracle_p([0.5, 0.5], 10.0, 0.5) > clear  # noisier baseline, weaker evidence
