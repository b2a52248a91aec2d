"""Poisson-sampled training batches: the sampling DP-SGD's accountant assumes."""

import torch
from opacus.data_loader import DPDataLoader
from torch.utils.data import DataLoader

from ..targets import TensorBatchIterator


class _PoissonBatchIterator:
    """Poisson-sampled batches of the rows of a :class:`TensorBatchIterator`.

    Each of the ``steps`` batches holds every row independently with
    probability ``sample_rate`` (so batch sizes vary, and a batch may be
    empty), as :class:`opacus.utils.uniform_sampler.UniformWithReplacementSampler`
    draws them; the rows are gathered with one ``index_select``
    (:meth:`TensorBatchIterator.take`). Empty batches are zero-length
    tensors of the right trailing shape and dtype.
    """

    def __init__(self, batches, *, sample_rate, steps, generator=None):
        self.batches = batches
        self.sample_rate = sample_rate
        self.steps = steps
        self.generator = generator

    def __len__(self):
        return self.steps

    def __iter__(self):
        n = self.batches.n_rows
        for _ in range(self.steps):
            mask = torch.rand(n, generator=self.generator) < self.sample_rate
            yield self.batches.take(mask.nonzero().view(-1))


def _secure_generator():
    """A cryptographically secure torch generator (needs ``torchcsprng``)."""
    try:
        import torchcsprng
    except ImportError as exc:
        raise ImportError(
            "secure_mode=True draws the noise and the batches from a "
            "cryptographically secure generator, which needs the torchcsprng "
            "package (as opacus.PrivacyEngine(secure_mode=True) does); install "
            "it or use secure_mode=False."
        ) from exc
    return torchcsprng.create_random_device_generator("/dev/urandom")


def _poisson_batches(iterator, *, sample_rate, steps, generator):
    """Poisson-sampled batches over the data of a net's training ``iterator``.

    Tensor-backed data (a :class:`TensorBatchIterator`) is sampled in
    memory; any other dataset behind a plain
    :class:`~torch.utils.data.DataLoader` goes through Opacus's
    :class:`~opacus.data_loader.DPDataLoader`, with the loader's options.
    ``generator`` (``None``: the iterator's own) draws the batches.
    """
    if isinstance(iterator, TensorBatchIterator):
        return _PoissonBatchIterator(
            iterator,
            sample_rate=sample_rate,
            steps=steps,
            generator=generator or iterator.generator,
        )
    if type(iterator) is DataLoader:
        # Not tensor-backed: Opacus's Poisson loader over the same dataset.
        return DPDataLoader(
            iterator.dataset,
            sample_rate=sample_rate,
            collate_fn=iterator.collate_fn,
            num_workers=iterator.num_workers,
            pin_memory=iterator.pin_memory,
            timeout=iterator.timeout,
            worker_init_fn=iterator.worker_init_fn,
            multiprocessing_context=iterator.multiprocessing_context,
            generator=generator or iterator.generator,
            prefetch_factor=iterator.prefetch_factor,
            persistent_workers=iterator.persistent_workers,
        )
    raise ValueError(
        f"poisson_sampling=True cannot sample from the custom training "
        f"iterator {type(iterator).__name__}; use the default "
        "iterator_train, or poisson_sampling=False."
    )
