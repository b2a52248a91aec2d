"""Differentially private training (DP-SGD with Opacus) of skorch classifiers."""

import contextlib
import numbers
import warnings

from opacus.accountants import create_accountant
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import Interval, StrOptions

from ..targets import TensorNeuralNetClassifier
from ._accounting import (
    _calibrated_noise,
    _check_budget_epochs,
    _epsilon_spent,
    _steps_taken,
    _warn_if_delta_too_large,
    _warn_if_over_budget,
    _with_mechanism,
)
from ._grad_sample import (
    _BACKWARD_HOOK_WARNING,
    _check_dp_module,
    _detach,
    _DPOptimizer,
    _loss_reduction,
    _PerSampleGradients,
)
from ._poisson import _poisson_batches, _secure_generator

__all__ = ["DPNeuralNetClassifier"]


class DPNeuralNetClassifier(TensorNeuralNetClassifier):
    """A skorch classifier trained with DP-SGD (Opacus), with privacy accounting.

    Differentially private stochastic gradient descent [1]_: at every step
    each record of a Poisson-sampled batch gets its own gradient
    (:class:`opacus.GradSampleModule`), clipped to L2 norm
    ``max_grad_norm``; the clipped gradients are summed, Gaussian noise of
    standard deviation ``noise_multiplier * max_grad_norm`` is added, and the
    result, divided by the expected batch size, drives the ``optimizer``
    (:class:`opacus.optimizers.DPOptimizer` wraps it). An Opacus accountant
    (RDP [2]_, PRV [3]_ or GDP [4]_) records every step, so the fitted
    ``epsilon_`` is the privacy spent on the training records: the trained
    network is (``epsilon_``, ``delta_``)-differentially private with respect
    to adding or removing one record of the data passed to ``fit``.

    With ``target_epsilon`` set, the noise is calibrated when training
    starts (:func:`opacus.accountants.utils.get_noise_multiplier`) so that
    ``max_epochs`` epochs spend at most ``target_epsilon``.

    Everything else is :class:`~skmia.targets.TensorNeuralNetClassifier`:
    batches are sliced from in-memory tensors, ``random_state`` seeds
    initialisation, batch sampling and the noise, and all DP knobs are
    parameters, so ``clone``, ``set_params`` and
    :class:`~sklearn.model_selection.GridSearchCV` work. After ``fit``,
    ``module_`` is the plain network again (no Opacus hooks), so prediction
    and skmia's attacks see an ordinary skorch classifier.

    **Batches.** With ``poisson_sampling=True`` (the setting the accountant
    assumes), an epoch is ``floor(1 / q)`` steps with sample rate
    ``q = batch_size / n_train``, and each step's batch holds every record
    independently with probability ``q``, exactly as Opacus's
    :class:`~opacus.data_loader.DPDataLoader`: batch sizes vary around
    ``batch_size``, and an empty batch is still a step (noise only), counted
    by the accountant. ``iterator_train__shuffle`` and
    ``iterator_train__drop_last`` are then ignored. With
    ``poisson_sampling=False`` the usual shuffled fixed-size batches are
    used and accounted with the same ``q``; that is common practice, but the
    accountant's guarantee is proved for Poisson sampling only.

    Parameters
    ----------
    module : torch module class or instance
        The network; it must return logits and must not contain BatchNorm
        (use :class:`~skmia.targets.ResNet18` with ``norm="group"``,
        :class:`~skmia.targets.SmallCNN`, :class:`~skmia.targets.MLP`, or
        :meth:`opacus.validators.ModuleValidator.fix`).
    *args
        Further positional arguments of :class:`skorch.NeuralNetClassifier`.
    noise_multiplier : float, default=1.0
        Standard deviation of the Gaussian noise relative to
        ``max_grad_norm``. ``0`` clips without noise: no privacy, and
        ``epsilon_`` is ``inf``. Ignored when ``target_epsilon`` is set.
    max_grad_norm : float, default=1.0
        Per-sample gradient clipping bound (L2 norm over all parameters).
    target_epsilon : float or None, default=None
        Privacy budget to spend in ``max_epochs`` epochs; the noise
        multiplier is then calibrated at the start of ``fit``, and
        ``noise_multiplier`` is ignored. Needs ``max_epochs >= 1``.
    target_delta : float, default=1e-5
        The delta of the (epsilon, delta) guarantee, for ``epsilon_`` and for
        calibration. A ``UserWarning`` is raised when it is not below
        ``1 / n_train``: such a delta allows leaking a whole record.
    accountant : {"rdp", "prv", "gdp"}, default="rdp"
        Opacus's accountant: Rényi DP [2]_ (a safe upper bound), privacy
        random variables [3]_ (tighter, slower), or Gaussian DP [4]_
        (experimental in Opacus, can underestimate epsilon).
    poisson_sampling : bool, default=True
        Whether training batches are Poisson-sampled (see above).
    secure_mode : bool, default=False
        Whether to draw noise and batches from a cryptographically secure
        generator and to use Opacus's floating-point-attack-resistant noise
        (needs the ``torchcsprng`` package); ``random_state`` then no longer
        makes training reproducible. Off, the noise comes from torch's
        (seeded) pseudo-random generator, which suits experiments but not
        deployment.
    train_split : callable or None, default=None
        As in skorch. ``None`` (unlike skorch's default ``ValidSplit(5)``)
        trains on every record passed to ``fit``, all of them covered by the
        guarantee; records held out for validation are not.
    **kwargs
        Parameters of :class:`~skmia.targets.TensorNeuralNetClassifier` and
        :class:`skorch.NeuralNetClassifier` (``optimizer``, ``lr``,
        ``max_epochs``, ``batch_size`` -- the expected batch size --,
        ``random_state``, ``augmentation``, ``module__*``, ...). The
        ``criterion`` must average (``reduction="mean"``, the default) or sum
        the per-sample losses.

    Attributes
    ----------
    module_ : torch module
        The trained network (a plain module; Opacus's hooks are attached
        only while training).
    optimizer_ : opacus.optimizers.DPOptimizer
        The DP optimizer wrapping the configured ``optimizer``.
    accountant_ : opacus.accountants.IAccountant
        The accountant, with the history of (noise multiplier, sample rate,
        steps) of every training run since ``initialize`` (``partial_fit``
        continues it; ``fit`` starts afresh).
    epsilon_ : float
        Privacy spent for ``delta_`` (``inf`` without noise, ``0.0``
        without steps). See :meth:`get_epsilon` for other deltas.
    delta_ : float
        The delta of ``epsilon_`` (``target_delta`` at training time).
    noise_multiplier_ : float
        The noise multiplier used: ``noise_multiplier``, or, when
        ``target_epsilon`` is set, the one calibrated by the first training
        run after ``initialize`` (``partial_fit`` keeps it).
    sample_rate_ : float
        ``q = min(1, batch_size / n_train)``.
    steps_ : int
        Optimizer steps accounted so far (empty batches included).
    history_ : skorch.History
        Losses per epoch and batch (``train_batch_size`` records the
        Poisson batch sizes).

    See Also
    --------
    skmia.targets.TensorNeuralNetClassifier : The non-private base class.
    skmia.metrics.empirical_epsilon : A lower bound on epsilon from an attack.

    References
    ----------
    .. [1] M. Abadi, A. Chu, I. Goodfellow, H. B. McMahan, I. Mironov,
       K. Talwar and L. Zhang, "Deep Learning with Differential Privacy",
       CCS 2016.
    .. [2] I. Mironov, K. Talwar and L. Zhang, "Rényi Differential Privacy of
       the Sampled Gaussian Mechanism", arXiv:1908.10530, 2019.
    .. [3] S. Gopi, Y. T. Lee and L. Wutschitz, "Numerical Composition of
       Differential Privacy", NeurIPS 2021.
    .. [4] J. Dong, A. Roth and W. J. Su, "Gaussian Differential Privacy",
       Journal of the Royal Statistical Society Series B, 2022.
    .. [5] A. Yousefpour et al., "Opacus: User-Friendly Differential Privacy
       Library in PyTorch", arXiv:2109.12298, 2021.

    Examples
    --------
    >>> import torch
    >>> from sklearn.datasets import load_digits
    >>> from skmia.defenses import DPNeuralNetClassifier
    >>> from skmia.targets import SmallCNN
    >>> digits = load_digits()
    >>> X = (digits.images[:500, None] / 16).astype("float32")
    >>> y = digits.target[:500]
    >>> net = DPNeuralNetClassifier(
    ...     SmallCNN, module__n_classes=10, module__in_channels=1,
    ...     target_epsilon=3.0, target_delta=1e-4, max_grad_norm=1.0,
    ...     optimizer=torch.optim.SGD, lr=0.5, batch_size=50, max_epochs=3,
    ...     verbose=0, random_state=0,
    ... )
    >>> net.fit(X, y).predict_proba(X).shape
    (500, 10)
    >>> net.sample_rate_, net.steps_
    (0.1, 30)
    >>> bool(net.epsilon_ <= 3.0)
    True
    """

    _parameter_constraints = {
        **TensorNeuralNetClassifier._parameter_constraints,
        "noise_multiplier": [Interval(numbers.Real, 0, None, closed="left")],
        "max_grad_norm": [Interval(numbers.Real, 0, None, closed="neither")],
        "target_epsilon": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "target_delta": [Interval(numbers.Real, 0, 1, closed="neither")],
        "accountant": [StrOptions({"rdp", "prv", "gdp"})],
        "poisson_sampling": ["boolean"],
        "secure_mode": ["boolean"],
    }

    def __init__(
        self,
        module,
        *args,
        noise_multiplier=1.0,
        max_grad_norm=1.0,
        target_epsilon=None,
        target_delta=1e-5,
        accountant="rdp",
        poisson_sampling=True,
        secure_mode=False,
        train_split=None,
        **kwargs,
    ):
        super().__init__(module, *args, train_split=train_split, **kwargs)
        self.noise_multiplier = noise_multiplier
        self.max_grad_norm = max_grad_norm
        self.target_epsilon = target_epsilon
        self.target_delta = target_delta
        self.accountant = accountant
        self.poisson_sampling = poisson_sampling
        self.secure_mode = secure_mode

    def _check_skmia_params(self):
        super()._check_skmia_params()
        _check_budget_epochs(self.target_epsilon, self.max_epochs)

    def initialize(self):
        """Initialise the module, criterion, DP optimizer, callbacks and accountant.

        A fresh accountant (no privacy spent) is created; :meth:`fit` calls
        this, :meth:`partial_fit` does not.
        """
        super().initialize()
        self.accountant_ = create_accountant(self.accountant)
        return self

    def initialize_module(self):
        """Initialise the module and check that DP-SGD can train it.

        Raises
        ------
        ValueError
            If a layer is incompatible with per-sample gradients (BatchNorm,
            or anything else :meth:`opacus.validators.ModuleValidator.validate`
            rejects).
        """
        super().initialize_module()
        _check_dp_module(self, self.module_)
        return self

    def initialize_optimizer(self, *args, **kwargs):
        """Initialise the configured optimizer, wrapped in Opacus's ``DPOptimizer``.

        Noise, clipping bound, expected batch size and the accountant's hook
        are (re)configured at the start of every training run, when the
        number of training records is known.
        """
        super().initialize_optimizer(*args, **kwargs)
        self.optimizer_ = _DPOptimizer(
            self.optimizer_,
            noise_multiplier=float(self.noise_multiplier),
            max_grad_norm=float(self.max_grad_norm),
            expected_batch_size=max(int(self.batch_size), 1),
        )
        return self

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        """Hook Opacus's per-sample gradients onto ``module_`` for this run."""
        super().on_train_begin(net, X=X, y=y, **kwargs)
        self._detach_dp()
        # A changed ``accountant`` parameter keeps the privacy spent so far.
        self.accountant_ = _with_mechanism(self.accountant_, self.accountant)
        self._per_sample_grads_ = _PerSampleGradients(
            self.module_, _loss_reduction(self.criterion_)
        )

    def get_iterator(self, dataset, training=False):
        """Poisson-sampled training batches; configures DP-SGD for this run.

        For training, computes the sample rate ``q = batch_size / n_train``
        from the training set (after ``train_split``), calibrates the noise
        when ``target_epsilon`` is set, configures the ``DPOptimizer`` and
        attaches the accountant to its steps. With ``poisson_sampling``,
        batches are drawn from in-memory tensors (or, for other datasets,
        by Opacus's :class:`~opacus.data_loader.DPDataLoader`).
        Evaluation batches are those of the base class.
        """
        iterator = super().get_iterator(dataset, training=training)
        if not training:
            return iterator
        n_train = len(dataset)
        batch_size = self.get_params_for("iterator_train").get(
            "batch_size", self.batch_size
        )
        batch_size = n_train if batch_size == -1 else batch_size
        sample_rate = min(1.0, batch_size / n_train)
        generator = _secure_generator() if self.secure_mode else None
        if self.poisson_sampling:
            # floor(1 / q) steps, in integers: floor(n_train / batch_size).
            iterator = _poisson_batches(
                iterator,
                sample_rate=sample_rate,
                steps=max(n_train // batch_size, 1),
                generator=generator,
            )
        self._configure_dp_step(n_train, sample_rate, len(iterator), generator)
        return iterator

    def _configure_dp_step(self, n_train, sample_rate, steps_per_epoch, generator):
        _warn_if_delta_too_large(self.target_delta, n_train)
        if self.target_epsilon is None:
            self.noise_multiplier_ = float(self.noise_multiplier)
        elif not self.accountant_.history:
            # First run since initialize(): calibrate for max_epochs epochs.
            self.noise_multiplier_ = _calibrated_noise(
                target_epsilon=self.target_epsilon,
                target_delta=self.target_delta,
                sample_rate=sample_rate,
                steps=self.max_epochs * steps_per_epoch,
                accountant=self.accountant,
            )
        self.sample_rate_ = sample_rate
        self.delta_ = float(self.target_delta)

        optimizer = self.optimizer_
        optimizer.noise_multiplier = self.noise_multiplier_
        optimizer.max_grad_norm = float(self.max_grad_norm)
        optimizer.expected_batch_size = sample_rate * n_train
        optimizer.loss_reduction = _loss_reduction(self.criterion_)
        optimizer.secure_mode = self.secure_mode
        optimizer.generator = generator
        optimizer.attach_step_hook(
            self.accountant_.get_optimizer_hook_fn(sample_rate=sample_rate)
        )

    def train_step_single(self, batch, **fit_params):
        """One forward/backward pass filling every parameter's ``grad_sample``.

        Empty (Poisson) batches go through the module as zero-length
        tensors, as with Opacus's data loader; the optimizer step then adds
        noise only.
        """
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=_BACKWARD_HOOK_WARNING)
            return super().train_step_single(batch, **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """The criterion's loss; ``0`` (not NaN) for an empty training batch."""
        if training and len(y_pred) == 0:
            return y_pred.sum()
        return super().get_loss(y_pred, y_true, X=X, training=training)

    def on_train_end(self, net, X=None, y=None, **kwargs):
        """Record the privacy spent and remove Opacus's hooks from ``module_``."""
        super().on_train_end(net, X=X, y=y, **kwargs)
        self._detach_dp()
        self.steps_ = _steps_taken(self.accountant_)
        self.epsilon_ = self.get_epsilon(self.delta_)
        _warn_if_over_budget(self.epsilon_, self.target_epsilon)

    @contextlib.contextmanager
    def _training_run(self):
        """Remove Opacus's hooks when a training run ends, even by an error."""
        try:
            yield
        finally:
            self._detach_dp()

    def _detach_dp(self):
        """Remove the per-sample-gradient hooks and the accountant's step hook."""
        per_sample_grads = getattr(self, "_per_sample_grads_", None)
        _detach(getattr(self, "optimizer_", None), per_sample_grads)
        if per_sample_grads is not None:
            self._per_sample_grads_ = None

    def get_epsilon(self, delta=None):
        """Privacy spent so far, for ``delta``, from the fitted accountant.

        Parameters
        ----------
        delta : float or None, default=None
            The delta of the guarantee; ``None`` uses ``delta_``.

        Returns
        -------
        epsilon : float
            ``inf`` if any step was taken without noise, ``0.0`` before any
            step.
        """
        if not hasattr(self, "delta_"):
            raise NotFittedError(
                f"This {type(self).__name__} has not been trained yet; call "
                "fit before get_epsilon."
            )
        return _epsilon_spent(self.accountant_, self.delta_ if delta is None else delta)
