"""Random model outputs shared by the signal tests."""

import numpy as np
from scipy.special import softmax


def random_outputs(n_records, n_classes, seed=0):
    """Labels, logits (spread 3) and their softmax, drawn from ``seed``."""
    rng = np.random.RandomState(seed)
    logits = rng.normal(scale=3.0, size=(n_records, n_classes))
    y = rng.randint(0, n_classes, size=n_records)
    return y, logits, softmax(logits, axis=1)
