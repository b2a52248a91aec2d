"""Tests of the stratified bootstrap confidence intervals."""

import time
from functools import partial

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.metrics import roc_auc_score

from skmia.metrics import (
    _bootstrap,
    bootstrap_ci,
    membership_advantage,
    roc_auc_ci,
    tpr_at_fpr,
    tpr_at_fpr_ci,
)


def _sample(seed, n=400, shift=1.0, decimals=None):
    rng = np.random.RandomState(seed)
    membership = rng.permutation(np.repeat([1, 0], [n // 2 + 10, n // 2 - 10]))
    scores = rng.normal(loc=shift * membership)
    if decimals is not None:
        scores = np.round(scores, decimals)
    return membership, scores


@pytest.mark.parametrize("decimals", [None, 1])
def test_roc_auc_ci_equals_generic_bootstrap_of_sklearn_auc(decimals):
    membership, scores = _sample(0, n=200, decimals=decimals)
    fast = roc_auc_ci(membership, scores, n_bootstraps=100, random_state=0)
    slow = bootstrap_ci(
        roc_auc_score, membership, scores, n_bootstraps=100, random_state=0
    )
    assert_allclose(fast, slow, rtol=1e-12)


@pytest.mark.parametrize("fpr", [0.0, 0.001, 0.05, [0.01, 0.3]])
@pytest.mark.parametrize("decimals", [None, 1])
def test_tpr_at_fpr_ci_equals_generic_bootstrap(fpr, decimals):
    membership, scores = _sample(1, n=200, decimals=decimals)
    fast = tpr_at_fpr_ci(membership, scores, fpr, n_bootstraps=100, random_state=0)
    slow = bootstrap_ci(
        partial(tpr_at_fpr, fpr=fpr),
        membership,
        scores,
        n_bootstraps=100,
        random_state=0,
    )
    assert_allclose(fast, slow, rtol=1e-12)
    if np.ndim(fpr):
        assert fast[0].shape == fast[1].shape == (2,)
    else:
        assert isinstance(fast[0], float) and isinstance(fast[1], float)


def test_several_chunks_give_the_same_as_generic(monkeypatch):
    # Force many resampling chunks, to exercise the chunked loop.
    monkeypatch.setattr(_bootstrap, "_CHUNK_ELEMENTS", 1000)
    membership, scores = _sample(2, decimals=1)
    assert_allclose(
        roc_auc_ci(membership, scores, n_bootstraps=50, random_state=3),
        bootstrap_ci(
            roc_auc_score, membership, scores, n_bootstraps=50, random_state=3
        ),
    )
    assert_allclose(
        tpr_at_fpr_ci(membership, scores, 0.1, n_bootstraps=50, random_state=3),
        bootstrap_ci(
            partial(tpr_at_fpr, fpr=0.1),
            membership,
            scores,
            n_bootstraps=50,
            random_state=3,
        ),
    )


def test_resamples_are_stratified():
    membership, scores = _sample(0)
    seen = []

    def record_class_sizes(m, s):
        seen.append((np.sum(m == 1), np.sum(m == 0)))
        return 0.0

    bootstrap_ci(record_class_sizes, membership, scores, n_bootstraps=20)
    assert set(seen) == {(np.sum(membership == 1), np.sum(membership == 0))}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_point_estimate_lies_in_interval(seed):
    membership, scores = _sample(seed, n=1000)
    low, high = roc_auc_ci(membership, scores, random_state=seed)
    assert low < roc_auc_score(membership, scores) < high
    # The AUC of N(1, 1) vs N(0, 1) is Phi(1 / sqrt(2)) = 0.760.
    assert low < 0.760 < high
    low, high = tpr_at_fpr_ci(membership, scores, fpr=0.1, random_state=seed)
    assert low <= tpr_at_fpr(membership, scores, fpr=0.1) <= high
    assert low < high
    low, high = bootstrap_ci(
        membership_advantage, membership, scores, n_bootstraps=200, random_state=seed
    )
    assert low <= membership_advantage(membership, scores) <= high


def test_interval_shrinks_as_n_grows():
    small = _sample(0, n=400)
    large = _sample(0, n=4000)
    width = {}
    for name, (membership, scores) in {"small": small, "large": large}.items():
        low, high = roc_auc_ci(membership, scores, random_state=0)
        tlow, thigh = tpr_at_fpr_ci(membership, scores, fpr=0.1, random_state=0)
        width[name] = (high - low, thigh - tlow)
    # Widths scale like 1 / sqrt(n): about 0.32 times for 10 times the data.
    assert width["large"][0] < 0.5 * width["small"][0]
    assert width["large"][1] < 0.5 * width["small"][1]


def test_more_confidence_gives_wider_interval():
    membership, scores = _sample(0)
    low90, high90 = roc_auc_ci(membership, scores, confidence=0.9, random_state=0)
    low99, high99 = roc_auc_ci(membership, scores, confidence=0.99, random_state=0)
    assert low99 < low90 < high90 < high99


def test_seeded():
    membership, scores = _sample(0)
    for ci in (roc_auc_ci, partial(tpr_at_fpr_ci, fpr=0.05)):
        first = ci(membership, scores, random_state=42)
        assert ci(membership, scores, random_state=42) == first
        rng_result = ci(membership, scores, random_state=np.random.RandomState(42))
        assert rng_result == first
        assert ci(membership, scores, random_state=7) != first


def test_perfect_attack_interval_is_degenerate():
    membership = np.repeat([1, 0], 100)
    scores = membership + np.linspace(0, 0.5, 200)
    assert roc_auc_ci(membership, scores, random_state=0) == (1.0, 1.0)
    assert tpr_at_fpr_ci(membership, scores, fpr=0.0, random_state=0) == (1.0, 1.0)


def test_fast_enough():
    membership, scores = _sample(0, n=2000)
    start = time.perf_counter()
    roc_auc_ci(membership, scores, n_bootstraps=1000, random_state=0)
    tpr_at_fpr_ci(membership, scores, fpr=[0.001, 0.01, 0.1], n_bootstraps=1000)
    assert time.perf_counter() - start < 3.0


def test_bootstrap_ci_with_array_valued_metric():
    membership, scores = _sample(0)
    low, high = bootstrap_ci(
        partial(tpr_at_fpr, fpr=[0.05, 0.5]),
        membership,
        scores,
        n_bootstraps=100,
        random_state=0,
    )
    assert low.shape == high.shape == (2,)
    assert np.all(low <= high)
    assert low[1] > high[0]  # TPR at 50% FPR is far above TPR at 5% FPR


@pytest.mark.parametrize(
    "kwargs",
    [
        {"confidence": 0.0},
        {"confidence": 1.0},
        {"n_bootstraps": 0},
        {"n_bootstraps": 10.5},
    ],
)
@pytest.mark.parametrize(
    "ci", [roc_auc_ci, tpr_at_fpr_ci, partial(bootstrap_ci, roc_auc_score)]
)
def test_invalid_parameters(ci, kwargs):
    membership, scores = _sample(0)
    with pytest.raises(ValueError, match="confidence|n_bootstraps"):
        ci(membership, scores, **kwargs)


def test_bootstrap_ci_needs_callable():
    membership, scores = _sample(0)
    with pytest.raises(TypeError, match="callable"):
        bootstrap_ci("roc_auc", membership, scores)
