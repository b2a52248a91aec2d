"""Choosing defenses: audited classifiers, refit rules and the gap-leakage view."""

from ._audited import AuditedClassifier
from ._evaluation import leave_one_model_out
from ._refit import leakage_bounded_refit

__all__ = ["AuditedClassifier", "leakage_bounded_refit", "leave_one_model_out"]
