"""Array helpers shared by every layer: NumPy arrays and torch tensors alike.

Nothing here imports torch: a tensor is recognised by its type's module, and
torch is imported only where a tensor was actually passed in.
"""

import numpy as np

__all__ = ["MAX_INT", "is_torch_tensor", "take_rows", "to_numpy"]

#: Upper bound (exclusive) of the seeds skmia draws, as scikit-learn's
#: ``sklearn.ensemble._bagging`` does: seeds fit every generator's range.
MAX_INT = np.iinfo(np.int32).max


def is_torch_tensor(obj):
    """Whether ``obj`` is a torch tensor, without importing torch."""
    return type(obj).__module__.split(".")[0] == "torch" and hasattr(obj, "dim")


def to_numpy(values):
    """``values`` as a NumPy array; a tensor is detached and moved to the CPU."""
    if is_torch_tensor(values):
        values = values.detach().cpu().numpy()
    return np.asarray(values)


def take_rows(X, rows):
    """``X[rows]`` for an array or a tensor (gathered on the tensor's device)."""
    if is_torch_tensor(X):
        import torch

        return X.index_select(0, torch.as_tensor(rows, dtype=torch.long,
                                                 device=X.device))
    return X[rows]
