"""Target models: torch modules and fast-training skorch classifiers.

The networks audited by skmia (and the shadow models that mimic them) are
skorch classifiers. :func:`make_target` builds one from an architecture name
with defaults that train quickly; :class:`TensorNeuralNetClassifier` slices
batches from in-memory tensors (:class:`TensorBatchIterator`) instead of
collating samples one by one.
"""

from ._augment import RandomCropFlip
from ._make_target import make_target
from ._modules import MLP, ResNet18, SmallCNN
from ._net import TensorNeuralNetClassifier
from ._tensor_data import TensorBatchIterator

__all__ = [
    "MLP",
    "RandomCropFlip",
    "ResNet18",
    "SmallCNN",
    "TensorBatchIterator",
    "TensorNeuralNetClassifier",
    "make_target",
]
