"""``make_target``: a target network from an architecture name, with fast defaults."""

import inspect

import torch

from ._modules import MLP, ResNet18, SmallCNN
from ._net import TensorNeuralNetClassifier

__all__ = ["make_target"]


_ARCHITECTURES = {
    "resnet18": (ResNet18, "in_channels"),
    "small_cnn": (SmallCNN, "in_channels"),
    "mlp": (MLP, "in_features"),
}

_DEFAULTS = {
    "optimizer": torch.optim.Adam,
    "lr": 1e-3,
    "batch_size": 128,
    "max_epochs": 40,
    "train_split": None,
    "verbose": 0,
    # Larger evaluation batches than training ones (no gradients to keep),
    # but not huge: on a CPU, SmallCNN evaluated 1024 or 4096 Fashion-MNIST
    # images at a time ran 2-3x slower than 256 at a time, once activations
    # overflowed the caches.
    "iterator_valid__batch_size": 256,
}


def make_target(
    arch, *, n_classes, in_channels=None, in_features=None, random_state=None, **params
):
    """Build an unfitted target network with fast-training defaults.

    Parameters
    ----------
    arch : {"resnet18", "small_cnn", "mlp"} or torch module class
        The architecture: :class:`ResNet18`, :class:`SmallCNN`, :class:`MLP`,
        or any module class taking ``n_classes`` (and ``in_channels`` or
        ``in_features`` when given) and returning logits.
    n_classes : int
        Number of classes.
    in_channels : int, default=None
        Input channels; required by ``"resnet18"`` and ``"small_cnn"``,
        ignored by ``"mlp"``.
    in_features : int, default=None
        Input features (``C * H * W`` for images); required by ``"mlp"``,
        ignored by the image architectures.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling, dropout and augmentation; see
        :class:`TensorNeuralNetClassifier`.
    **params
        Parameters of :class:`TensorNeuralNetClassifier` (skorch
        parameters), overriding the defaults below. Defenses are plain
        parameters: ``module__dropout``, ``optimizer__weight_decay``,
        ``criterion__label_smoothing``, ``augmentation=RandomCropFlip()``,
        early stopping through ``train_split=ValidSplit(0.1)`` and
        ``callbacks=[EarlyStopping()]``.

    Returns
    -------
    net : TensorNeuralNetClassifier
        Unfitted, with defaults ``optimizer=torch.optim.Adam``, ``lr=1e-3``,
        ``batch_size=128``, ``max_epochs=40``, ``train_split=None`` (hold
        out data yourself), ``verbose=0``, ``iterator_valid__batch_size=256``
        and cross-entropy loss on logits.

    Raises
    ------
    ValueError
        If ``arch`` is unknown or a size it requires is missing.

    See Also
    --------
    TensorNeuralNetClassifier : The network class, for full control.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skmia.targets import make_target
    >>> digits = load_digits()
    >>> X = (digits.images[:200, None] / 16).astype("float32")
    >>> y = digits.target[:200]
    >>> net = make_target("small_cnn", n_classes=10, in_channels=1,
    ...                   max_epochs=5, random_state=0)
    >>> net.fit(X, y).predict_proba(X).shape
    (200, 10)
    """
    sizes = {"in_channels": in_channels, "in_features": in_features}
    if inspect.isclass(arch) and issubclass(arch, torch.nn.Module):
        module = arch
        module_params = {f"module__{k}": v for k, v in sizes.items() if v is not None}
    elif isinstance(arch, str) and arch in _ARCHITECTURES:
        module, size_name = _ARCHITECTURES[arch]
        if sizes[size_name] is None:
            raise ValueError(
                f"make_target: arch={arch!r} requires {size_name}= "
                f"(the number of input {size_name.split('_')[1]})."
            )
        module_params = {f"module__{size_name}": sizes[size_name]}
    else:
        raise ValueError(
            f"make_target: unknown arch={arch!r}; valid architectures are "
            f"{sorted(_ARCHITECTURES)} or a torch.nn.Module subclass."
        )
    if "module" in params:
        raise TypeError(
            "make_target: pass the architecture as arch, not as module=."
        )
    kwargs = {**_DEFAULTS, "module__n_classes": n_classes, **module_params, **params}
    return TensorNeuralNetClassifier(module, random_state=random_state, **kwargs)
