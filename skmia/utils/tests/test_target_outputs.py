"""Tests of TargetOutputs, what query_target returns."""

import numpy as np
from sklearn.linear_model import LogisticRegression

from skmia import Records
from skmia.targets import make_target
from skmia.utils import TargetOutputs, query_target


def test_properties_follow_the_output_that_is_set():
    labels = np.array([0, 2])
    logits = np.arange(6.0).reshape(2, 3)
    from_logits = TargetOutputs(labels, logits=logits)
    assert from_logits.kind == "logits" and from_logits.values is logits
    assert from_logits.n_columns == 3
    assert from_logits.kwargs == {"logits": logits}
    proba = np.full((2, 4, 5), 0.2)  # with a query axis
    from_proba = TargetOutputs(labels, proba=proba)
    assert from_proba.kind == "proba" and from_proba.values is proba
    assert from_proba.n_columns == 5
    assert from_proba.kwargs == {"proba": proba}


def test_query_target_reads_logits_of_torch_targets_and_proba_of_others():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 4)).astype(np.float32)
    y = np.arange(30) % 3
    records = Records(X, y)
    forest = LogisticRegression().fit(X, y)
    outputs = query_target(forest, records)
    assert outputs.kind == "proba" and outputs.n_columns == 3
    np.testing.assert_array_equal(outputs.values, forest.predict_proba(X))
    net = make_target("mlp", n_classes=3, in_features=4, max_epochs=1,
                      random_state=0).fit(X, y)
    outputs = query_target(net, records)
    assert outputs.kind == "logits" and outputs.n_columns == 3
    np.testing.assert_array_equal(outputs.values,
                                  net.forward(X, training=False).numpy())
    np.testing.assert_array_equal(outputs.labels, y)
