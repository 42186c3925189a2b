"""Confidence-interval math against values computed independently (scipy's Student t, by hand)."""

from __future__ import annotations

import math

import pytest

from evals.stats_ci import (bootstrap_difference, mean_interval, paired_difference, summarize, t_quantile,
                            welch_difference)


def test_summary_uses_the_sample_standard_deviation():
    s = summarize([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0])
    assert s.n == 8 and s.mean == 5.0
    assert s.sd == pytest.approx(math.sqrt(32 / 7))
    assert summarize([3.0]).sd == 0.0
    with pytest.raises(ValueError):
        summarize([])


@pytest.mark.parametrize("df, expected", [(1, 12.706204736), (2, 4.302652730), (4, 2.776445105),
                                          (10, 2.228138852), (30, 2.042272456), (2.7, 3.392148383)])
def test_t_quantile_matches_tables(df, expected):
    assert t_quantile(0.975, df) == pytest.approx(expected, rel=1e-8)
    assert t_quantile(0.025, df) == pytest.approx(-expected, rel=1e-8)


def test_paired_difference_on_known_numbers():
    # differences 0.5, 0.9, 0.4: mean 0.6, sd 0.26458, half-width 4.302653 * 0.26458 / sqrt(3)
    d = paired_difference([1.0, 2.0, 3.0], [1.5, 2.9, 3.4])
    half = 4.302652730 * math.sqrt(0.07) / math.sqrt(3)
    assert d.method == "paired-t" and d.n == 3
    assert d.diff == pytest.approx(0.6)
    assert (d.low, d.high) == pytest.approx((0.6 - half, 0.6 + half))
    assert not d.significant  # the interval [-0.057, 1.257] contains zero
    assert paired_difference([1.0, 2.0, 3.0], [2.0, 3.1, 3.9]).significant  # 1.0, 1.1, 0.9


def test_paired_difference_needs_two_pairs_for_an_interval():
    d = paired_difference([1.0], [2.0])
    assert d.diff == 1.0 and d.low is None and d.high is None and not d.significant
    with pytest.raises(ValueError):
        paired_difference([1.0, 2.0], [1.0])


def test_welch_difference_matches_scipy():
    # scipy.stats.ttest_ind([1.5, 2.9, 3.4], [1, 2, 3], equal_var=False).confidence_interval()
    d = welch_difference([1.0, 2.0, 3.0], [1.5, 2.9, 3.4])
    assert (d.low, d.high) == pytest.approx((-1.6500972972085, 2.8500972972085), rel=1e-9)


def test_mean_interval():
    low, high = mean_interval(summarize([1.0, 2.0, 3.0]))
    assert (low, high) == pytest.approx((2 - 4.302652730 / math.sqrt(3), 2 + 4.302652730 / math.sqrt(3)))
    assert mean_interval(summarize([1.0])) is None


def test_bootstrap_is_deterministic_and_brackets_the_mean():
    a = [0.0] * 20
    b = [float(i % 5) for i in range(20)]  # differences 0..4, mean 2
    first, again = bootstrap_difference(a, b, seed=3), bootstrap_difference(a, b, seed=3)
    assert first == again
    assert first.method == "bootstrap" and first.low < 2.0 < first.high
    assert 1.0 < first.low and first.high < 3.0


def test_minimum_detectable_effect_formula_and_its_power():
    from evals.stats_ci import minimum_detectable_effect, seeds_needed

    # t(0.975, 4) = 2.776445, t(0.80, 4) = 0.940965 (scipy): MDE = 3.71741 × sd / √5
    assert minimum_detectable_effect(1.0, 5) == pytest.approx((2.776445105 + 0.940964840) / math.sqrt(5), rel=1e-6)
    assert minimum_detectable_effect(1.0, 10_000) * 100 == pytest.approx(1.959964 + 0.841621, rel=1e-3)
    with pytest.raises(ValueError):
        minimum_detectable_effect(1.0, 1)
    # a true difference of one MDE is detected by the paired t test about 80% of the time
    import random

    rng, n, sd = random.Random(0), 5, 0.03
    effect, crit = minimum_detectable_effect(sd, n), t_quantile(0.975, n - 1)
    hits = 0
    for _ in range(4000):
        s = summarize([rng.gauss(effect, sd) for _ in range(n)])
        hits += abs(s.mean) / (s.sd / math.sqrt(n)) > crit
    assert 0.74 < hits / 4000 < 0.86
    assert seeds_needed(sd, effect) == n and seeds_needed(sd, effect / 2) > 2 * n
    assert seeds_needed(0.0, 0.01) == 2 and seeds_needed(1.0, 1e-6, max_seeds=50) is None
