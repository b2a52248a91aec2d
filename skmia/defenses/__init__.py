"""Defenses against membership inference.

Regularisation defenses (dropout, weight decay, label smoothing, early
stopping, augmentation) are plain parameters of the targets built by
:func:`skmia.targets.make_target`. This module holds the defenses that change
how a network is trained: :class:`DPNeuralNetClassifier` trains with
differentially private SGD (Opacus) and reports the privacy spent.
"""

from ._dp import DPNeuralNetClassifier

__all__ = ["DPNeuralNetClassifier"]
