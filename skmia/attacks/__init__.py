"""Membership inference attacks: scikit-learn classifiers of membership."""

from ._base import BaseAttack
from ._threshold import ThresholdAttack

__all__ = ["BaseAttack", "ThresholdAttack"]
