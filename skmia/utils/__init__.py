"""Utilities shared by skmia's layers."""

from ._target import (
    TargetOutputs,
    check_records,
    check_target,
    labels_to_columns,
    model_outputs,
    query_target,
)

__all__ = [
    "TargetOutputs",
    "check_records",
    "check_target",
    "labels_to_columns",
    "model_outputs",
    "query_target",
]
