import numpy as np
import pytest
import torch
from scipy.special import softmax
from scipy.stats import entropy as scipy_entropy

from skmia.signals import (
    SIGNALS,
    compute_signal,
    confidence,
    entropy,
    logit_confidence,
    loss,
    modified_entropy,
)

from ._fixtures import random_outputs


@pytest.fixture
def outputs():
    return random_outputs(50, 7)


def test_loss_matches_torch_cross_entropy(outputs):
    y, logits, proba = outputs
    expected = torch.nn.functional.cross_entropy(
        torch.as_tensor(logits), torch.as_tensor(y), reduction="none"
    ).numpy()
    np.testing.assert_allclose(loss(y, logits=logits), expected, rtol=1e-12)
    np.testing.assert_allclose(loss(y, proba), expected, rtol=1e-10)


def test_confidence_is_true_class_probability(outputs):
    y, logits, proba = outputs
    expected = proba[np.arange(len(y)), y]
    np.testing.assert_allclose(confidence(y, proba), expected)
    np.testing.assert_allclose(confidence(y, logits=logits), expected, rtol=1e-12)


def test_logit_confidence_direct_formula(outputs):
    y, logits, proba = outputs
    p_y = proba[np.arange(len(y)), y]
    expected = np.log(p_y) - np.log1p(-p_y)
    np.testing.assert_allclose(logit_confidence(y, proba), expected, rtol=1e-9)
    others = [np.delete(row, c) for row, c in zip(logits, y)]
    direct = logits[np.arange(len(y)), y] - np.array(
        [np.log(np.sum(np.exp(o))) for o in others]
    )
    np.testing.assert_allclose(logit_confidence(y, logits=logits), direct, rtol=1e-12)


def test_logit_confidence_finite_at_float32_extremes():
    # p_y rounds to exactly 1 in float32 (and float64) yet phi is finite
    logits = np.array([[100.0, 0.0, 0.0], [1e4, -1e4, 0.0], [-50.0, 50.0, 0.0]],
                      dtype=np.float32)
    y = np.array([0, 0, 0])
    assert softmax(logits.astype(np.float64), axis=1)[0, 0] == 1.0
    phi = logit_confidence(y, logits=logits)
    assert np.all(np.isfinite(phi))
    np.testing.assert_allclose(phi[0], 100.0 - np.log(2.0), rtol=1e-12)
    np.testing.assert_allclose(phi[1], 1e4, rtol=1e-12)
    np.testing.assert_allclose(phi[2], -50.0 - np.logaddexp(50.0, 0.0), rtol=1e-12)
    # from probabilities, 1 - p_y is the sum of the others, not a rounded 1 - p
    proba = np.array([[1.0 - 1e-12, 1e-12]])
    np.testing.assert_allclose(
        logit_confidence(np.array([0]), proba), np.log(1 - 1e-12) - np.log(1e-12)
    )
    assert np.isfinite(logit_confidence(np.array([0]), np.array([[1.0, 0.0]])))


def test_entropy_matches_scipy(outputs):
    y, logits, proba = outputs
    expected = scipy_entropy(proba, axis=1)
    np.testing.assert_allclose(entropy(y, proba), expected, rtol=1e-10)
    np.testing.assert_allclose(entropy(y, logits=logits), expected, rtol=1e-10)
    # zero probabilities contribute nothing (0 log 0 = 0), without warnings
    with np.errstate(all="raise"):
        assert entropy(np.array([0]), np.array([[1.0, 0.0]]))[0] == 0.0


def test_modified_entropy_direct_formula(outputs):
    y, logits, proba = outputs
    expected = []
    for p, c in zip(proba, y):
        value = -(1 - p[c]) * np.log(p[c])
        value -= sum(p[k] * np.log(1 - p[k]) for k in range(len(p)) if k != c)
        expected.append(value)
    np.testing.assert_allclose(modified_entropy(y, proba), expected, rtol=1e-9)
    np.testing.assert_allclose(modified_entropy(y, logits=logits), expected, rtol=1e-9)


def test_modified_entropy_penalises_confident_mistakes():
    proba = np.array([[0.98, 0.01, 0.01], [0.01, 0.98, 0.01]])
    right, wrong = modified_entropy(np.array([0, 0]), proba)
    assert right < 0.1 < wrong
    # plain entropy cannot tell them apart
    assert np.isclose(*entropy(np.array([0, 0]), proba))


@pytest.mark.parametrize("name", sorted(SIGNALS))
def test_query_axis_equals_per_query_computation(name):
    rng = np.random.RandomState(1)
    logits = rng.normal(size=(20, 3, 5))
    y = rng.randint(0, 5, size=20)
    values = compute_signal(name, y, logits=logits)
    assert values.shape == (20, 3)
    for q in range(3):
        np.testing.assert_allclose(
            values[:, q], compute_signal(name, y, logits=logits[:, q]), rtol=1e-12
        )


@pytest.mark.parametrize("name", sorted(SIGNALS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_inputs_are_left_unchanged(name, dtype):
    # the float64 copy of the outputs is used as scratch space; the caller's
    # float64 array (or a view of it) never is
    rng = np.random.RandomState(2)
    base = rng.normal(scale=4.0, size=(30, 2, 6)).astype(dtype)
    y = rng.randint(0, 6, size=30)
    for given in (base, base[:, 1], base.view(np.ndarray)):
        before = given.copy()
        first = compute_signal(name, y, logits=given)
        np.testing.assert_array_equal(given, before)
        np.testing.assert_array_equal(compute_signal(name, y, logits=given), first)


@pytest.mark.parametrize("name", sorted(SIGNALS))
def test_orientation_makes_members_score_higher(name):
    # a confident, correct prediction (member-like) vs an uncertain one
    proba = np.array([[0.97, 0.02, 0.01], [0.4, 0.35, 0.25]])
    scores = compute_signal(name, np.array([0, 0]), proba, oriented=True)
    assert scores[0] > scores[1]


def test_bad_inputs():
    proba = np.full((4, 3), 1 / 3)
    with pytest.raises(ValueError, match="exactly one"):
        loss(np.zeros(4, int), proba, logits=proba)
    with pytest.raises(ValueError, match=r"\[0, 2\]"):
        loss(np.array([0, 1, 2, 3]), proba)
    with pytest.raises(ValueError, match="do not match"):
        loss(np.zeros(3, int), proba)
    with pytest.raises(ValueError, match="integer"):
        loss(np.zeros(4), proba)
    with pytest.raises(ValueError, match="shape"):
        loss(np.zeros(4, int), np.ones(4))
    with pytest.raises(ValueError, match="Unknown signal 'los'"):
        compute_signal("los", np.zeros(4, int), proba)
