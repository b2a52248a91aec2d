"""Shared fixtures: small real data (scikit-learn's digits) and overfitted targets."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

N_TARGET = 60


@pytest.fixture(scope="session")
def digits_split():
    """Digits split into target-in, target-out and an attacker pool."""
    from skmia.datasets import load_digits_images, make_membership_split

    digits = load_digits_images()
    return make_membership_split(
        digits.data, digits.target, n_target=N_TARGET, random_state=0
    )


def flatten(X):
    """Images to rows (module level so that pipelines using it pickle)."""
    return np.reshape(X, (len(X), -1))


def _audit_set(split):
    from skmia import Records

    records = Records(
        np.concatenate([split.target_in.X, split.target_out.X]),
        np.concatenate([split.target_in.y, split.target_out.y]),
    )
    membership = np.r_[np.ones(len(split.target_in)), np.zeros(len(split.target_out))]
    return records, membership.astype(np.int64)


@pytest.fixture(scope="session")
def audit_set(digits_split):
    """``(records, membership)``: the target's members and as many non-members."""
    return _audit_set(digits_split)


@pytest.fixture(scope="session")
def sklearn_target(digits_split):
    """A random forest on flattened digits: train accuracy 1.0, clearly lower test."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    model = make_pipeline(FunctionTransformer(flatten), RandomForestClassifier(n_estimators=50, random_state=0))
    return model.fit(digits_split.target_in.X, digits_split.target_in.y)


@pytest.fixture(scope="session")
def torch_target(digits_split):
    """A wide MLP trained to memorise its 60 digits (skorch, seeded)."""
    from skmia.targets import make_target

    net = make_target(
        "mlp", n_classes=10, in_features=64, module__hidden_sizes=(1024,),
        max_epochs=200, random_state=0,
    )
    return net.fit(digits_split.target_in.X, digits_split.target_in.y)
