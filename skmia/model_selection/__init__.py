"""Choosing defenses: audited classifiers, refit rules and the gap-leakage view."""

from ._audited import AuditedClassifier
from ._refit import leakage_bounded_refit

__all__ = ["AuditedClassifier", "leakage_bounded_refit"]
