"""In-memory tensor data for skorch: tensor datasets and batches sliced from them."""

import numpy as np
import torch
from skorch.dataset import Dataset
from torch.utils.data import Subset, TensorDataset

from ..utils import take_rows

__all__ = ["TensorBatchIterator"]

# DataLoader arguments that only matter for per-sample loading (worker
# processes, pinned staging buffers): slicing in-memory tensors ignores them.
_IGNORED_LOADER_KWARGS = frozenset(
    {
        "num_workers",
        "pin_memory",
        "pin_memory_device",
        "persistent_workers",
        "prefetch_factor",
        "timeout",
        "worker_init_fn",
        "multiprocessing_context",
        "in_order",
    }
)
# DataLoader arguments the tensor iterator honours. Any other one (sampler,
# batch_sampler, collate_fn, ...) changes what a batch is, so the net hands
# the data to the configured iterator (skorch's DataLoader path) instead.
_TENSOR_LOADER_KWARGS = frozenset({"batch_size", "shuffle", "drop_last", "generator"})


class TensorBatchIterator:
    """Batches sliced from in-memory tensors.

    What :class:`TensorNeuralNetClassifier` iterates over instead of a
    :class:`~torch.utils.data.DataLoader`: iterating yields ``(X[rows],
    y[rows])`` for consecutive chunks of ``indices`` (all rows when
    ``None``), re-permuted at the start of every pass when ``shuffle``. Each
    batch is one ``index_select`` (or a view, in order over all rows), not
    ``batch_size`` calls to ``__getitem__`` and a collate function. Tensors
    stay where they are; skorch moves each batch to the net's device.

    Parameters
    ----------
    X : torch.Tensor of shape (n_samples, ...)
        The inputs.
    y : torch.Tensor of shape (n_samples, ...) or None
        The targets; ``None`` yields ``None`` in their place.
    indices : torch.Tensor of dtype int64 or None, default=None
        The rows of ``X`` and ``y`` to iterate over (a subset, in this
        order); ``None`` for all rows.
    batch_size : int
        Rows per batch; the last batch may be smaller.
    shuffle : bool, default=False
        Whether every pass draws a new random order of the rows.
    drop_last : bool, default=False
        Whether to drop the last batch when it is smaller than
        ``batch_size``.
    generator : torch.Generator or None, default=None
        Generator of the permutations; ``None`` uses torch's global one.

    See Also
    --------
    TensorNeuralNetClassifier : The skorch classifier that uses it.

    Examples
    --------
    >>> import torch
    >>> from skmia.targets import TensorBatchIterator
    >>> X, y = torch.arange(10.0)[:, None], torch.arange(10)
    >>> batches = TensorBatchIterator(X, y, torch.tensor([9, 7, 5, 3, 1]),
    ...                               batch_size=2)
    >>> len(batches), [yb.tolist() for _, yb in batches]
    (3, [[9, 7], [5, 3], [1]])
    >>> batches.take(torch.tensor([0, 4]))[1].tolist()
    [9, 1]
    """

    def __init__(
        self,
        X,
        y,
        indices=None,
        *,
        batch_size,
        shuffle=False,
        drop_last=False,
        generator=None,
    ):
        self.X = X
        self.y = y
        self.indices = indices
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.generator = generator

    @property
    def n_rows(self):
        """Number of rows a pass goes over: ``len(indices)``, or ``len(X)``."""
        return len(self.X) if self.indices is None else len(self.indices)

    def __len__(self):
        n, size = self.n_rows, self.batch_size
        return n // size if self.drop_last else -(-n // size)

    def take(self, positions):
        """The batch of the rows at ``positions`` among those iterated over.

        Parameters
        ----------
        positions : torch.Tensor of dtype int64
            Positions in ``indices`` (rows of ``X`` when ``indices`` is
            ``None``); may be empty.

        Returns
        -------
        batch : tuple of (torch.Tensor, torch.Tensor or None)
            Those rows of ``X`` and ``y``.
        """
        rows = positions if self.indices is None else self.indices[positions]
        return self._gather(rows, rows)

    def _gather(self, rows_X, rows_y):
        y = None if self.y is None else take_rows(self.y, rows_y)
        return take_rows(self.X, rows_X), y

    def __iter__(self):
        X, y, indices, size = self.X, self.y, self.indices, self.batch_size
        n = self.n_rows
        stop = n - n % size if self.drop_last else n
        if not self.shuffle and indices is None:
            # In order over all rows: views, no copies.
            for start in range(0, stop, size):
                end = start + size
                yield X[start:end], (None if y is None else y[start:end])
            return
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator)
            order = order if indices is None else indices[order]
        else:
            order = indices
        # Moved to each tensor's device once, not once per batch.
        order_X = order.to(X.device)
        order_y = None if y is None else order.to(y.device)
        for start in range(0, stop, size):
            end = start + size
            yield self._gather(
                order_X[start:end], None if y is None else order_y[start:end]
            )


class _TensorDataset(Dataset):
    """A skorch :class:`~skorch.dataset.Dataset` whose ``X`` and ``y`` are tensors.

    Per-sample ``__getitem__`` still works (for code that wants it), but
    :class:`TensorNeuralNetClassifier` never uses it: it slices whole
    batches from ``X`` and ``y``.
    """


def _tensor_source(dataset):
    """``(X, y, indices)`` behind a tensor-backed dataset, else ``None``.

    Recognises the net's own datasets, two-tensor
    :class:`~torch.utils.data.TensorDataset` objects and (nested)
    :class:`~torch.utils.data.Subset` objects of either, as produced by
    :class:`skorch.dataset.ValidSplit`. ``indices`` is an int64 tensor or
    ``None`` for all rows.
    """
    if isinstance(dataset, Subset):
        source = _tensor_source(dataset.dataset)
        if source is None:
            return None
        X, y, indices = source
        sub = torch.as_tensor(np.asarray(dataset.indices), dtype=torch.long)
        return X, y, sub if indices is None else indices[sub]
    if isinstance(dataset, _TensorDataset):
        return dataset.X, dataset.y, None
    if isinstance(dataset, TensorDataset) and len(dataset.tensors) == 2:
        return dataset.tensors[0], dataset.tensors[1], None
    return None


def _as_input_tensor(X):
    """``X`` as a tensor; floating-point arrays in torch's default dtype."""
    if torch.is_tensor(X):
        return X
    X = np.ascontiguousarray(X)
    if not X.flags.writeable:  # e.g. joblib's read-only memmaps in workers
        X = X.copy()
    X = torch.as_tensor(X)
    if X.is_floating_point():
        X = X.to(torch.get_default_dtype())
    return X


def _as_target_tensor(y):
    """``y`` as a tensor (``None`` stays ``None``); integer labels as int64."""
    if y is None:
        return None
    y = y if torch.is_tensor(y) else torch.as_tensor(np.ascontiguousarray(y))
    if not y.is_floating_point() and not y.is_complex():
        y = y.long()
    return y


def _is_array(obj):
    return isinstance(obj, np.ndarray) or torch.is_tensor(obj)
