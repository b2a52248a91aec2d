"""Utilities shared by skmia's layers."""

from ._arrays import MAX_INT, is_torch_tensor, take_rows, to_numpy
from ._docstring import fill_doc
from ._target import (
    TargetOutputs,
    check_records,
    check_target,
    labels_to_columns,
    model_outputs,
    query_target,
)

__all__ = [
    "MAX_INT",
    "TargetOutputs",
    "check_records",
    "check_target",
    "fill_doc",
    "is_torch_tensor",
    "labels_to_columns",
    "model_outputs",
    "query_target",
    "take_rows",
    "to_numpy",
]
