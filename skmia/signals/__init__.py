"""Membership signals: pure, vectorised functions of model outputs and labels."""

from ._features import check_feature_names, signal_feature_names, signal_features
from ._hinge import hinge
from ._queries import AugmentationQueries
from ._signals import (
    SIGNALS,
    compute_signal,
    confidence,
    entropy,
    logit_confidence,
    loss,
    modified_entropy,
)

__all__ = [
    "AugmentationQueries",
    "SIGNALS",
    "check_feature_names",
    "compute_signal",
    "confidence",
    "entropy",
    "hinge",
    "logit_confidence",
    "loss",
    "modified_entropy",
    "signal_feature_names",
    "signal_features",
]
