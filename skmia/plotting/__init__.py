"""Displays for membership inference audits."""

from ._roc import MembershipRocDisplay

__all__ = ["MembershipRocDisplay"]
