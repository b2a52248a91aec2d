"""Tests for :func:`skmia.targets.make_target`."""

import pytest
import torch
from sklearn.exceptions import NotFittedError
from skorch import NeuralNetClassifier

from skmia.targets import (
    MLP,
    RandomCropFlip,
    ResNet18,
    SmallCNN,
    TensorNeuralNetClassifier,
    make_target,
)


def test_make_target_returns_unfitted_net_with_fast_defaults():
    net = make_target("small_cnn", n_classes=10, in_channels=1)
    assert type(net) is TensorNeuralNetClassifier
    assert isinstance(net, NeuralNetClassifier)
    with pytest.raises(NotFittedError):
        net.check_is_fitted()
    params = net.get_params()
    assert params["module"] is SmallCNN
    assert params["module__n_classes"] == 10
    assert params["module__in_channels"] == 1
    assert params["optimizer"] is torch.optim.Adam
    assert params["criterion"] is torch.nn.CrossEntropyLoss
    assert params["lr"] == 1e-3
    assert params["batch_size"] == 128
    assert params["train_split"] is None
    assert params["verbose"] == 0
    assert params["iterator_train__shuffle"] is True
    assert params["iterator_valid__batch_size"] > params["batch_size"]
    assert params["random_state"] is None and params["augmentation"] is None


@pytest.mark.parametrize(
    "arch, sizes, module",
    [
        ("resnet18", {"in_channels": 3}, ResNet18),
        ("small_cnn", {"in_channels": 1}, SmallCNN),
        ("mlp", {"in_features": 64}, MLP),
    ],
)
def test_make_target_architectures(arch, sizes, module):
    net = make_target(arch, n_classes=4, **sizes).initialize()
    assert type(net.module_) is module
    assert net.module_.n_classes == 4
    (name, value), = sizes.items()
    assert getattr(net.module_, name) == value


def test_make_target_accepts_module_class():
    net = make_target(MLP, n_classes=3, in_features=64).initialize()
    assert type(net.module_) is MLP and net.module_.in_features == 64


def test_make_target_passes_skorch_params_through():
    net = make_target(
        "small_cnn",
        n_classes=10,
        in_channels=1,
        max_epochs=7,
        lr=0.05,
        module__dropout=0.25,
        optimizer__weight_decay=5e-4,
        criterion__label_smoothing=0.1,
        augmentation=RandomCropFlip(padding=1),
        random_state=3,
    ).initialize()
    assert net.max_epochs == 7 and net.random_state == 3
    assert net.augmentation == RandomCropFlip(padding=1)
    assert net.module_.dropout == 0.25
    group = net.optimizer_.param_groups[0]
    assert group["lr"] == 0.05 and group["weight_decay"] == 5e-4
    assert net.criterion_.label_smoothing == 0.1


@pytest.mark.parametrize(
    "arch, sizes, match",
    [
        ("small_cnn", {}, "in_channels"),
        ("resnet18", {"in_features": 64}, "in_channels"),
        ("mlp", {"in_channels": 1}, "in_features"),
        ("resnet50", {"in_channels": 3}, "resnet50.*'mlp', 'resnet18', 'small_cnn'"),
        (SmallCNN(), {"in_channels": 1}, "unknown arch"),
    ],
)
def test_make_target_errors(arch, sizes, match):
    with pytest.raises(ValueError, match=match):
        make_target(arch, n_classes=10, **sizes)


def test_make_target_rejects_module_param():
    with pytest.raises(TypeError, match="arch"):
        make_target("mlp", n_classes=10, in_features=64, module=MLP)
