import numpy as np
import pytest
import torch
from scipy.special import softmax
from scipy.stats import entropy as scipy_entropy

from skmia.signals import SIGNALS, compute_signal, signal_features

from ._fixtures import random_outputs


@pytest.fixture
def outputs():
    return random_outputs(40, 6)


def test_sorted_proba_is_the_descending_probability_vector(outputs):
    y, logits, proba = outputs
    features = signal_features(y, proba)
    assert features.shape == (40, 6) and features.dtype == np.float64
    expected = np.array([sorted(row, reverse=True) for row in proba])
    np.testing.assert_array_equal(features, expected)
    # it does not depend on the label
    np.testing.assert_array_equal(signal_features((y + 1) % 6, proba), features)
    # top_k keeps the k largest (Shokri et al. used 3)
    np.testing.assert_array_equal(signal_features(y, proba, top_k=3), expected[:, :3])


def test_raw_proba_and_signals_match_direct_formulas(outputs):
    y, logits, proba = outputs
    features = signal_features(
        y, logits=logits,
        signals=("proba", "loss", "confidence", "logit", "entropy", "modified_entropy"))
    assert features.shape == (40, 6 + 5)
    rows = np.arange(len(y))
    p_y = proba[rows, y]
    np.testing.assert_allclose(features[:, :6], proba, rtol=1e-12)
    cross_entropy = torch.nn.functional.cross_entropy(
        torch.as_tensor(logits), torch.as_tensor(y), reduction="none").numpy()
    np.testing.assert_allclose(features[:, 6], cross_entropy, rtol=1e-12)
    np.testing.assert_allclose(features[:, 7], p_y, rtol=1e-12)
    np.testing.assert_allclose(features[:, 8], np.log(p_y) - np.log1p(-p_y), rtol=1e-9)
    np.testing.assert_allclose(features[:, 9], scipy_entropy(proba, axis=1), rtol=1e-10)
    others = np.where(np.arange(6) == y[:, None], 0.0, proba * np.log(1 - proba))
    mentr = -(1 - p_y) * np.log(p_y) - others.sum(axis=1)
    np.testing.assert_allclose(features[:, 10], mentr, rtol=1e-9)


@pytest.mark.parametrize("name", sorted(SIGNALS))
def test_each_signal_column_is_compute_signal(outputs, name):
    y, logits, proba = outputs
    np.testing.assert_array_equal(
        signal_features(y, proba, signals=(name,))[:, 0],
        compute_signal(name, y, proba))
    np.testing.assert_array_equal(
        signal_features(y, logits=logits, signals=name)[:, 0],
        compute_signal(name, y, logits=logits))


def test_logits_and_probabilities_give_the_same_features(outputs):
    y, logits, proba = outputs
    signals = ("sorted_proba", "proba") + tuple(sorted(SIGNALS))
    np.testing.assert_allclose(
        signal_features(y, logits=logits, signals=signals),
        signal_features(y, proba, signals=signals), rtol=1e-8, atol=1e-12)
    # also as float32, the precision shadow outputs are stored in
    logits32 = logits.astype(np.float32)
    proba32 = softmax(logits32, axis=1).astype(np.float32)
    np.testing.assert_allclose(
        signal_features(y, logits=logits32, signals=signals),
        signal_features(y, proba32, signals=signals), rtol=2e-4, atol=1e-6)


def test_queries_are_concatenated_per_feature(outputs):
    y, logits, _ = outputs
    rng = np.random.RandomState(1)
    stacked = np.stack([logits, logits + rng.normal(size=logits.shape)], axis=1)
    features = signal_features(y, logits=stacked, signals=("sorted_proba", "loss"),
                               top_k=2)
    assert features.shape == (40, 2 * 2 + 2)
    for q in range(2):
        single = signal_features(y, logits=stacked[:, q],
                                 signals=("sorted_proba", "loss"), top_k=2)
        np.testing.assert_array_equal(features[:, 2 * q:2 * q + 2], single[:, :2])
        np.testing.assert_array_equal(features[:, 4 + q], single[:, 2])
    # a single query is the same as no query axis
    np.testing.assert_array_equal(
        signal_features(y, logits=logits[:, None], signals=("proba", "entropy")),
        signal_features(y, logits=logits, signals=("proba", "entropy")))


def test_bad_input(outputs):
    y, logits, proba = outputs
    with pytest.raises(ValueError,
                       match=r"Unknown feature 'losss'.*'sorted_proba'.*'loss'"):
        signal_features(y, proba, signals=("sorted_proba", "losss"))
    with pytest.raises(ValueError, match="twice"):
        signal_features(y, proba, signals=("loss", "loss"))
    with pytest.raises(ValueError, match="empty"):
        signal_features(y, proba, signals=())
    with pytest.raises(ValueError, match="top_k=7 exceeds the 6"):
        signal_features(y, proba, top_k=7)
    with pytest.raises(ValueError, match="top_k"):
        signal_features(y, proba, top_k=0)
    with pytest.raises(ValueError, match="exactly one"):
        signal_features(y, proba, logits=logits)
    with pytest.raises(ValueError, match="Labels must lie"):
        signal_features(y + 6, proba, signals=("loss",))
