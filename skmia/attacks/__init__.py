"""Membership inference attacks: scikit-learn classifiers of membership."""

from ._base import BaseAttack, fit_and_score
from ._meta import MetaClassifierAttack, SignalTransformer
from ._shadow_attack import ShadowModelAttack
from ._threshold import ThresholdAttack

__all__ = [
    "BaseAttack",
    "MetaClassifierAttack",
    "ShadowModelAttack",
    "SignalTransformer",
    "ThresholdAttack",
    "fit_and_score",
]
