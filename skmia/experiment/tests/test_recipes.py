"""Training recipes in YAML: checked like every key, resolved into the target."""

from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from skmia.datasets import load_digits_images
from skmia.experiment import ConfigError, load_config
from skmia.experiment._audit import make_estimator
from skmia.targets import RandomCropFlip

CONFIGS = Path(__file__).parents[3] / "configs"


def _estimator(*overrides):
    config = load_config(None, ["target.params.max_epochs=4", *overrides])
    data = load_digits_images()
    return make_estimator(config["target"], data.data, 10, seed=0), data


def test_empty_recipe_keeps_the_default_estimator():
    net, _ = _estimator()
    assert net.optimizer is torch.optim.Adam
    assert net.augmentation is None and not net.callbacks


def test_recipe_resolves_to_optimizer_schedule_augmentation_early_stopping():
    net, data = _estimator(
        "target.recipe={optimizer: {name: sgd, momentum: 0.9, weight_decay: 0.0005}, "
        "lr_schedule: cosine, augmentation: {name: random_crop_flip, padding: 1}, "
        "early_stopping: {name: valid_loss, patience: 2}}")
    assert net.optimizer is torch.optim.SGD
    assert net.optimizer__momentum == 0.9
    assert isinstance(net.augmentation, RandomCropFlip)
    assert net.augmentation.padding == 1
    net.fit(data.data[:300], data.target[:300])
    group = net.optimizer_.param_groups[0]
    assert group["momentum"] == 0.9 and group["weight_decay"] == 0.0005
    # the cosine schedule over max_epochs = 4 (skorch records the rate each
    # epoch trained at); early stopping validates on a tenth of the records
    # and may stop before the fourth epoch
    epochs = len(net.history)
    cosine = 0.001 * (1 + np.cos(np.pi * np.arange(epochs) / 4)) / 2
    np.testing.assert_allclose(net.history[:, "event_lr"], cosine, rtol=1e-9)
    assert all("valid_loss" in row for row in net.history)


def test_step_schedule_divides_the_rate():
    net, data = _estimator("target.params.lr=0.1",
                           "target.recipe={optimizer: sgd, lr_schedule: "
                           "{name: step, step_size: 2, gamma: 0.5}}")
    net.fit(data.data[:200], data.target[:200])
    # four epochs, halved after the second and the fourth
    assert net.optimizer_.param_groups[0]["lr"] == pytest.approx(0.1 * 0.25)


@pytest.mark.parametrize("recipe, match", [
    ("{lr_schedule: cosin}", r"lr_schedule\.name: unknown value 'cosin'; did you "
                             r"mean 'cosine'"),
    ("{optimiser: sgd}", r"target\.recipe\.optimiser: .*did you mean 'optimizer'"),
    ("{optimizer: {name: sgd, momentun: 0.9}}", r"optimizer\.momentun.*'momentum'"),
    ("{optimizer: {name: adam, momentum: 0.9}}", r"optimizer\.momentum: unknown key"),
    ("{lr_schedule: step}", r"lr_schedule\.step_size: required"),
    ("{augmentation: {name: random_crop_flip, padding: abc}}",
     r"augmentation\.padding: expected an integer, got 'abc'"),
    ("{early_stopping: {name: valid_loss, validation_fraction: 1.5}}",
     r"validation_fraction: must be in \(0, 1\)"),
    ("[sgd]", r"target\.recipe: expected a mapping"),
])
def test_bad_recipes_are_named(recipe, match):
    with pytest.raises(ConfigError, match=match):
        load_config(None, [f"target.recipe={recipe}"])


def test_cifar10_config_uses_the_standard_recipe():
    config = load_config(f"{CONFIGS}/cifar10_resnet18.yaml")
    recipe = config["target"]["recipe"]
    assert recipe["optimizer"] == {"name": "sgd", "momentum": 0.9,
                                   "weight_decay": 0.0005}
    assert recipe["lr_schedule"] in ("cosine", {"name": "cosine"})
    assert recipe["augmentation"] == {"name": "random_crop_flip", "padding": 4,
                                      "flip": True}
    net = make_estimator(config["target"], np.zeros((1, 3, 32, 32), np.float32), 10,
                         seed=0)
    assert net.optimizer is torch.optim.SGD
    assert dict(net.callbacks)["lr_schedule"].kwargs["T_max"] == \
        yaml.safe_load(open(f"{CONFIGS}/cifar10_resnet18.yaml"))["target"]["params"][
            "max_epochs"]
