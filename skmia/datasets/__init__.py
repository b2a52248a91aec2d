"""Datasets as image arrays and :class:`~skmia.Records`, and membership splits.

Loaders return a :class:`~sklearn.utils.Bunch` with ``data`` (float32 images
``(n, C, H, W)`` in [0, 1]), ``target`` (int64 labels), ``records``
(``Records(data, target)``), ``target_names`` and ``DESCR``.
:func:`make_membership_split` draws the target's members, its held-out
non-members and the attacker's pool from them.
"""

from ._base import get_data_home
from ._cifar import load_cifar10
from ._digits import load_digits_images
from ._fashion_mnist import load_fashion_mnist
from ._split import make_membership_split

__all__ = [
    "get_data_home",
    "load_cifar10",
    "load_digits_images",
    "load_fashion_mnist",
    "make_membership_split",
]
