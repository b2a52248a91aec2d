"""Opacus's per-sample gradients and DP optimizer on a skorch net's module."""

from opacus import GradSampleModule
from opacus.optimizers import DPOptimizer
from opacus.validators import ModuleValidator
from torch import nn

# Opacus computes per-sample gradients from the gradients of each layer's
# *output*; the first layer's input never requires a gradient, which makes
# torch warn about every full backward hook. The warning is expected here.
_BACKWARD_HOOK_WARNING = (
    "Full backward hook is firing when gradients are computed with respect to "
    "module outputs since no inputs require gradients"
)


class _PerSampleGradients:
    """Opacus's :class:`~opacus.GradSampleModule` hooked onto a net's module.

    Held in a plain object (not a torch module) so that skorch does not
    register it as one of the net's modules: the net keeps calling its own
    ``module_``, whose layers now carry the hooks that fill each
    parameter's ``grad_sample``. :meth:`close` removes every hook and
    attribute again, leaving the plain module.
    """

    def __init__(self, module, loss_reduction):
        self.grad_sample_module = GradSampleModule(
            module, loss_reduction=loss_reduction, strict=True
        )

    def close(self):
        self.grad_sample_module.to_standard_module()


class _DPOptimizer(DPOptimizer):
    """Opacus's :class:`~opacus.optimizers.DPOptimizer`, picklable.

    :class:`torch.optim.Optimizer` pickles only ``defaults``, ``state`` and
    ``param_groups``, which loses the wrapped optimizer; skorch pickles (and
    :func:`copy.deepcopy` copies) the net's optimizer with it.
    """

    def __getstate__(self):
        return self.__dict__.copy()

    def __setstate__(self, state):
        self.__dict__.update(state)


def _loss_reduction(criterion):
    """How ``criterion`` reduces per-sample losses: ``"mean"`` or ``"sum"``."""
    reduction = getattr(criterion, "reduction", "mean")
    if reduction not in ("mean", "sum"):
        raise ValueError(
            f"DP-SGD needs a criterion that averages or sums the per-sample "
            f"losses; got criterion__reduction={reduction!r}. Use 'mean' "
            "(the default) or 'sum'."
        )
    return reduction


def _detach(optimizer, per_sample_grads):
    """Remove the per-sample-gradient hooks and the optimizer's step hook.

    ``optimizer`` may be ``None`` or not yet a DP optimizer, and
    ``per_sample_grads`` ``None`` (nothing attached).
    """
    if isinstance(optimizer, DPOptimizer):
        optimizer.step_hook = None
        optimizer.generator = None
    if per_sample_grads is not None:
        # Drop the last step's per-sample and summed gradients, then the hooks.
        optimizer.zero_grad(set_to_none=True)
        per_sample_grads.close()


def _check_dp_module(net, module):
    """Raise a ``ValueError`` naming the layers DP-SGD cannot train, if any."""
    was_training = module.training
    module.train()  # the validator also (needlessly, here) checks the mode
    try:
        errors = ModuleValidator.validate(module, strict=False)
    finally:
        module.train(was_training)
    batch_norms, others = _incompatible_layers(module)
    if errors or batch_norms or others:
        raise ValueError(
            _incompatibility_message(net, module, batch_norms, others, errors)
        )


def _incompatible_layers(module):
    """Names of BatchNorm layers, and ``[(name, reason)]`` for other bad layers.

    Other layers are those Opacus's :class:`~opacus.validators.ModuleValidator`
    rejects (``nn.LSTM``, instance norm with running statistics, ...).
    """
    batch_norms, others = [], []
    for name, sub in module.named_modules():
        if isinstance(sub, nn.modules.batchnorm._BatchNorm):
            batch_norms.append(name or "<root>")
            continue
        validator = ModuleValidator.VALIDATORS.get(type(sub))
        for error in validator(sub) if validator is not None else []:
            others.append((name or "<root>", f"{type(sub).__name__}: {error}"))
    return batch_norms, others


def _incompatibility_message(net, module, batch_norms, others, errors):
    shown = ", ".join(repr(name) for name in batch_norms[:4])
    if len(batch_norms) > 4:
        shown += f" and {len(batch_norms) - 4} more"
    problems = [f"layer {name!r} ({reason})" for name, reason in others]
    if batch_norms:
        problems.insert(
            0, f"the BatchNorm layers {shown}, whose batch statistics mix records"
        )
    if not problems:
        problems = [str(error) for error in errors]
    advice = "replace the layers with opacus.validators.ModuleValidator.fix(module)"
    if batch_norms:
        advice = (
            "use a network without BatchNorm, e.g. "
            "skmia.targets.ResNet18(norm='group'), or " + advice
            + " (BatchNorm becomes GroupNorm)"
        )
    return (
        f"{type(net).__name__} cannot train {type(module).__name__} with DP-SGD: "
        f"per-sample gradients are undefined for {'; '.join(problems)}. "
        f"To fix it, {advice}."
    )
