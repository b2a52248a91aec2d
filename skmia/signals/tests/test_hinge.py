"""The hinge score against a direct loop over records and classes."""

import numpy as np
import pytest
from scipy.special import softmax

from skmia.signals import hinge


def direct_hinge(y, logits):
    out = []
    for row, label in zip(logits, y):
        others = [row[k] for k in range(len(row)) if k != label]
        out.append(row[label] - max(others))
    return np.array(out)


def test_hinge_is_the_margin_over_the_best_other_logit():
    rng = np.random.RandomState(0)
    logits = 3 * rng.randn(50, 7)
    y = rng.randint(0, 7, size=50)
    np.testing.assert_allclose(hinge(y, logits=logits), direct_hinge(y, logits),
                               rtol=0, atol=1e-12)


def test_hinge_from_probabilities_equals_hinge_from_logits():
    rng = np.random.RandomState(1)
    logits = rng.randn(40, 5)
    y = rng.randint(0, 5, size=40)
    # log-softmax subtracts a per-row constant, which the margin cancels;
    # what is left is rounding of log(exp(.)), a few float64 ulps
    np.testing.assert_allclose(hinge(y, softmax(logits, axis=1)),
                               hinge(y, logits=logits), rtol=0, atol=1e-12)


def test_hinge_per_query_and_finite_at_probability_zero():
    proba = np.array([[[1.0, 0.0], [0.5, 0.5]]])  # one record, two queries
    values = hinge(np.array([0]), proba)
    assert values.shape == (1, 2)
    assert np.isfinite(values).all() and values[0, 0] > 700 and values[0, 1] == 0


def test_hinge_needs_two_classes():
    with pytest.raises(ValueError, match="at least 2 classes"):
        hinge(np.array([0]), logits=np.array([[1.0]]))
