"""Target models: torch modules and fast-training skorch classifiers.

The networks audited by skmia (and the shadow models that mimic them) are
skorch classifiers. :func:`make_target` builds one from an architecture name
with defaults that train quickly; :class:`TensorNeuralNetClassifier` slices
batches from in-memory tensors instead of collating samples one by one.
"""

from ._augment import RandomCropFlip
from ._modules import MLP, ResNet18, SmallCNN
from ._net import TensorNeuralNetClassifier, make_target

__all__ = [
    "MLP",
    "RandomCropFlip",
    "ResNet18",
    "SmallCNN",
    "TensorNeuralNetClassifier",
    "make_target",
]
