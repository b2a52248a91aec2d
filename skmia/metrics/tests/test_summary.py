"""Tests of the one-row leakage summary against the metrics it gathers."""

import json

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from skmia.metrics import (
    empirical_epsilon,
    leakage_summary,
    membership_advantage,
    roc_auc_ci,
    tpr_at_fpr,
    tpr_at_fpr_ci,
)


def _sample(seed, n_members=300, n_non_members=200, shift=1.0):
    rng = np.random.RandomState(seed)
    membership = rng.permutation(np.repeat([1, 0], [n_members, n_non_members]))
    return membership, rng.normal(loc=shift * membership)


def test_int_seed_gives_the_direct_calls_values():
    membership, scores = _sample(0)
    fprs = (0.05, 0.2)
    summary = leakage_summary(membership, scores, fprs=fprs, confidence=0.9,
                              n_bootstraps=200, random_state=7)
    interval = {"confidence": 0.9, "n_bootstraps": 200, "random_state": 7}
    # the same seed for every interval, as the runner passed it: exact equality
    assert summary.auc == roc_auc_score(membership, scores)
    assert summary.auc_ci == list(roc_auc_ci(membership, scores, **interval))
    assert summary.advantage == membership_advantage(membership, scores)
    assert summary.epsilon_lower_bound == empirical_epsilon(membership, scores)
    for fpr in fprs:
        entry = summary.tpr_at_fpr[f"{fpr:g}"]
        assert entry["tpr"] == tpr_at_fpr(membership, scores, fpr=fpr)
        low, high = tpr_at_fpr_ci(membership, scores, fpr=fpr, **interval)
        assert entry["ci"] == [low, high]
        assert entry["note"] is None
    assert summary.confidence == 0.9


def test_epsilon_states_its_level():
    membership, scores = _sample(1, shift=3.0)
    summary = leakage_summary(membership, scores, fprs=(), n_bootstraps=20,
                              random_state=0)
    assert summary.epsilon_lower_bound > 0
    assert summary.epsilon_lower_bound == empirical_epsilon(
        membership, scores, delta=summary.epsilon_delta,
        confidence=summary.epsilon_confidence)
    # a stricter level gives a smaller bound, so the stated level matters
    assert summary.epsilon_lower_bound > empirical_epsilon(
        membership, scores, delta=summary.epsilon_delta, confidence=0.999)


def test_fewer_than_ten_false_positives_are_refused():
    membership, scores = _sample(2, n_non_members=200)
    # 10 / 200 = 0.05: the boundary is reported, just below it is not
    summary = leakage_summary(membership, scores, fprs=(0.001, 0.049, 0.05),
                              n_bootstraps=20, random_state=0)
    for key, needed in [("0.001", 10000), ("0.049", 205)]:
        entry = summary.tpr_at_fpr[key]
        assert entry["tpr"] is None and entry["ci"] is None
        assert entry["note"] == (f"not reported: FPR {key} needs at least {needed} "
                                 "non-members, there are 200")
    assert summary.tpr_at_fpr["0.05"]["tpr"] == tpr_at_fpr(membership, scores, fpr=0.05)
    assert list(summary.tpr_at_fpr) == ["0.001", "0.049", "0.05"]


def test_result_survives_json_and_a_random_state_instance_is_reproducible():
    membership, scores = _sample(3)
    first = leakage_summary(membership, scores, fprs=(0.001, 0.1), n_bootstraps=50,
                            random_state=np.random.RandomState(5))
    again = leakage_summary(membership, scores, fprs=(0.001, 0.1), n_bootstraps=50,
                            random_state=np.random.RandomState(5))
    assert first == again
    assert json.loads(json.dumps(first)) == first
    low, high = first.auc_ci
    assert low < first.auc < high


@pytest.mark.parametrize("membership, scores, match", [
    ([0, 1, 1], [0.1, 0.2], "inconsistent numbers of samples"),
    ([0, 1, 1], [0.1, np.nan, 0.3], "NaN"),
    ([1, 1, 1], [0.1, 0.2, 0.3], "both members"),
    ([0, 2, 1], [0.1, 0.2, 0.3], "only 0"),
])
def test_bad_input_is_refused(membership, scores, match):
    with pytest.raises(ValueError, match=match):
        leakage_summary(membership, scores)


@pytest.mark.parametrize("fprs", [(0.0,), (0.01, 1.5), ("0.01",)])
def test_bad_fprs_are_refused(fprs):
    membership, scores = _sample(4)
    with pytest.raises(ValueError, match=r"fprs must hold rates in \(0, 1\]"):
        leakage_summary(membership, scores, fprs=fprs)
