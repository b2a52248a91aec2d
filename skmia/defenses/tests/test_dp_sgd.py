"""DP-SGD steps of :class:`skmia.defenses.DPNeuralNetClassifier`.

Poisson sampling of the batches, per-sample clipping and the noise.
"""

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from skmia.targets.tests._fixtures import PairDataset

from ._fixtures import StepRecorder, dp_mlp, flat_params

# -- sampling ----------------------------------------------------------------


def test_poisson_batches(small):
    X, y = small
    recorder = StepRecorder()
    # Tag every record with its index in an extra input column.
    X_tagged = np.c_[X.reshape(len(X), -1), np.arange(len(X))].astype(np.float32)
    net = dp_mlp(
        module__in_features=65, max_epochs=20, callbacks=[recorder]
    ).fit(X_tagged, y)

    sizes = np.array(recorder.sizes)
    # 1/q = 10 steps an epoch, the number of steps the accountant saw.
    assert len(sizes) == net.steps_ == 200
    assert net.history[-1, "train_batch_count"] == 10
    # Binomial(200, 0.1) sizes: mean 20, sd ~4.2, never all the same.
    assert abs(sizes.mean() - 20) < 1.5
    assert 2.5 < sizes.std() < 6.0
    assert list(net.history[0, "batches", :, "train_batch_size"]) == list(sizes[:10])
    # Each step samples each record independently: no repeats in a batch,
    # each record in about 10% of the steps, some records unseen in an epoch.
    seen = [batch[:, -1].long() for batch in recorder.batches]
    assert all(len(ids.unique()) == len(ids) for ids in seen)
    counts = np.bincount(torch.cat(seen).numpy(), minlength=200)
    assert abs(counts.mean() / 200 - 0.1) < 0.01
    first_epoch = torch.cat(seen[:10]).unique()
    assert 90 < len(first_epoch) < 170  # about 200 * (1 - 0.9 ** 10) = 130


def test_poisson_sampling_off_gives_fixed_size_batches(small):
    X, y = small
    net = dp_mlp(
        poisson_sampling=False, batch_size=30, max_epochs=2
    ).fit(X, y)
    sizes = net.history[0, "batches", :, "train_batch_size"]
    assert sizes == [30] * 6 + [20]
    assert net.steps_ == 14
    assert net.sample_rate_ == pytest.approx(0.15)


def test_empty_batches_are_noise_only_steps_and_are_accounted(digits):
    X, y = digits[0][:40], digits[1][:40]
    # q = 1/40: about 36% of the 40 steps of an epoch draw no record at all.
    for noise in (0.0, 1.0):
        recorder = StepRecorder()
        net = dp_mlp(
            noise_multiplier=noise, batch_size=1, max_epochs=2, target_delta=1e-3,
            callbacks=[recorder],
        ).fit(X, y)
        sizes = np.array(recorder.sizes)
        norms = np.array([update.norm().item() for update in recorder.updates])
        assert net.steps_ == len(sizes) == 80
        assert 10 < np.sum(sizes == 0) < 50
        assert np.all(np.isfinite(net.history[:, "train_loss"]))
        if noise == 0:
            assert np.all(norms[sizes == 0] == 0)
            assert np.all(norms[sizes > 0] > 0)
        else:
            assert np.all(norms[sizes == 0] > 0)  # noise alone moves the weights


def test_other_datasets_use_opacus_poisson_loader(small):
    X, y = small
    net = dp_mlp(max_epochs=2).fit(PairDataset(X, y), None)
    sizes = net.history[:, "batches", :, "train_batch_size"]
    sizes = np.concatenate(sizes)
    assert len(sizes) == net.steps_ == 20
    assert len(set(sizes)) > 3
    assert net.predict_proba(X).shape == (200, 10)


# -- clipping and noise ----------------------------------------------------------


def _expected_clipped_step(module, X, y, max_grad_norm, lr, batch_size):
    """One DP-SGD step without noise, per-sample gradients from torch.func."""
    from torch.func import functional_call, grad, vmap

    params = {name: p.detach() for name, p in module.named_parameters()}

    def loss(params, x, t):
        return F.cross_entropy(functional_call(module, params, (x[None],)), t[None])

    grads = vmap(grad(loss), in_dims=(None, 0, 0))(params, X, y)
    norms = torch.sqrt(sum(g.flatten(1).pow(2).sum(1) for g in grads.values()))
    factor = (max_grad_norm / (norms + 1e-6)).clamp(max=1.0)
    assert (norms > max_grad_norm).all()  # every per-sample gradient is clipped
    return {
        name: -lr * torch.einsum("i,i...", factor, g) / batch_size
        for name, g in grads.items()
    }


def test_per_sample_gradients_are_clipped(small):
    X, y = small[0][:32], small[1][:32]
    lr, max_grad_norm = 0.5, 1e-3
    # One full, unshuffled batch: one step, no sampling randomness.
    net = dp_mlp(
        noise_multiplier=0.0, max_grad_norm=max_grad_norm, lr=lr, batch_size=32,
        max_epochs=1, poisson_sampling=False, iterator_train__shuffle=False,
    )
    net.initialize()
    before = copy.deepcopy(net.module_)
    expected = _expected_clipped_step(
        before, torch.as_tensor(X), torch.as_tensor(y), max_grad_norm, lr, 32
    )
    net.partial_fit(X, y)
    assert net.steps_ == 1
    total = 0.0
    for (name, p), q in zip(net.module_.named_parameters(), before.parameters()):
        torch.testing.assert_close(p.detach() - q.detach(), expected[name])
        total += (p.detach() - q.detach()).pow(2).sum()
    assert total.sqrt() <= lr * max_grad_norm


def test_update_norm_is_bounded_by_clipping_under_poisson_sampling(small):
    X, y = small
    lr, max_grad_norm = 0.5, 1e-3
    recorder = StepRecorder()
    dp_mlp(
        noise_multiplier=0.0, max_grad_norm=max_grad_norm, lr=lr,
        callbacks=[recorder],
    ).fit(X, y)
    sizes = np.array(recorder.sizes)
    norms = np.array([update.norm().item() for update in recorder.updates])
    # Sum of per-sample gradients of norm <= C, divided by the expected size.
    bound = lr * max_grad_norm * sizes / 20
    assert np.all(norms <= bound * (1 + 1e-4))
    assert np.all(norms > 0.1 * bound)  # the clipped gradients still push
    # Without clipping (large bound) the same steps are far larger.
    free = StepRecorder()
    dp_mlp(noise_multiplier=0.0, lr=lr, max_grad_norm=1e6, callbacks=[free]).fit(X, y)
    assert np.mean([u.norm().item() for u in free.updates]) > 100 * norms.mean()


def test_noise_has_the_configured_scale(small):
    X, y = small[0][:32], small[1][:32]
    lr, max_grad_norm, noise = 1.0, 1e-6, 2.0
    # Clipping to 1e-6 makes the gradient negligible: the step is the noise.
    net = dp_mlp(
        noise_multiplier=noise, max_grad_norm=max_grad_norm, lr=lr, batch_size=32,
        max_epochs=1, poisson_sampling=False, target_delta=1e-3,
    )
    net.initialize()
    before = flat_params(net.module_)
    net.partial_fit(X, y)
    step = (flat_params(net.module_) - before) / lr
    # Each coordinate: N(0, (noise * max_grad_norm)^2) / expected batch size.
    assert step.std().item() == pytest.approx(noise * max_grad_norm / 32, rel=0.05)
