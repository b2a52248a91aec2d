"""Utilities shared by skmia's layers."""

from ._target import TargetOutputs, check_records, check_target, query_target

__all__ = ["TargetOutputs", "check_records", "check_target", "query_target"]
