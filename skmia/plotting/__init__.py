"""Displays for membership inference audits."""

from ._gap import GapLeakageDisplay
from ._roc import MembershipRocDisplay

__all__ = ["GapLeakageDisplay", "MembershipRocDisplay"]
