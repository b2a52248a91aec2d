"""Tests of the public helpers naming and checking signal features."""

import numpy as np
import pytest

from skmia.signals import (
    SIGNALS,
    check_feature_names,
    signal_feature_names,
    signal_features,
)


def test_check_feature_names_accepts_a_name_or_a_sequence():
    assert check_feature_names("loss") == ("loss",)
    assert check_feature_names(["proba", "entropy"]) == ("proba", "entropy")
    for name in SIGNALS:
        assert check_feature_names((name, "sorted_proba")) == (name, "sorted_proba")
    with pytest.raises(ValueError, match=r"Unknown feature 'los'.*'sorted_proba'"):
        check_feature_names(("loss", "los"))
    with pytest.raises(ValueError, match="twice"):
        check_feature_names(("loss", "loss"))
    with pytest.raises(ValueError, match="empty"):
        check_feature_names(())


@pytest.mark.parametrize("signals, top_k, n_queries", [
    (("sorted_proba", "loss"), None, 1),
    (("sorted_proba", "proba", "loss"), 2, 1),
    (("loss", "sorted_proba"), 3, 2),
])
def test_one_name_per_column_of_signal_features(signals, top_k, n_queries):
    rng = np.random.RandomState(0)
    proba = rng.dirichlet(np.ones(4), size=(5, n_queries))
    y = rng.randint(0, 4, size=5)
    features = signal_features(y, proba, signals=signals, top_k=top_k)
    names = signal_feature_names(signals, 4, n_queries=n_queries, top_k=top_k)
    assert names.shape == (features.shape[1],)
    # each named column is the feature it names: the loss and the top entry
    for q in range(n_queries):
        suffix = "" if n_queries == 1 else f"_q{q}"
        loss_column = list(names).index("loss" + suffix)
        np.testing.assert_allclose(features[:, loss_column],
                                   -np.log(proba[np.arange(5), q, y]))
        top_column = list(names).index("sorted_proba_0" + suffix)
        np.testing.assert_allclose(features[:, top_column], proba[:, q].max(axis=1))
