"""Membership inference attacks: scikit-learn classifiers of membership."""

from ._base import BaseAttack, fit_and_score
from ._calibrated import CalibratedLossAttack
from ._label_only import LabelOnlyAttack
from ._lira import LiRA
from ._meta import MetaClassifierAttack, SignalTransformer
from ._quantile import QuantileRegressionAttack
from ._rmia import RMIA
from ._shadow_attack import ShadowModelAttack
from ._threshold import ThresholdAttack

__all__ = [
    "BaseAttack",
    "CalibratedLossAttack",
    "LabelOnlyAttack",
    "LiRA",
    "MetaClassifierAttack",
    "QuantileRegressionAttack",
    "RMIA",
    "ShadowModelAttack",
    "SignalTransformer",
    "ThresholdAttack",
    "fit_and_score",
]
