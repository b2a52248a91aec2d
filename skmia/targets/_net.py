"""A skorch classifier that trains from in-memory tensors, seeded."""

import contextlib
import numbers

import numpy as np
import torch
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import validate_parameter_constraints
from skorch import NeuralNetClassifier
from skorch.dataset import Dataset, unpack_data
from skorch.utils import to_tensor
from torch.utils.data import DataLoader

from ..utils import MAX_INT
from ._tensor_data import (
    _IGNORED_LOADER_KWARGS,
    _TENSOR_LOADER_KWARGS,
    TensorBatchIterator,
    _as_input_tensor,
    _as_target_tensor,
    _is_array,
    _TensorDataset,
    _tensor_source,
)

__all__ = ["TensorNeuralNetClassifier"]


class TensorNeuralNetClassifier(NeuralNetClassifier):
    """A skorch classifier that trains from in-memory tensors, fast.

    A drop-in :class:`skorch.NeuralNetClassifier` for data that fits in
    memory. NumPy arrays ``X`` and ``y`` are converted to tensors once per
    ``fit``/``predict`` call (floating-point ``X`` to torch's default dtype,
    float32; integer labels to int64; torch tensors are used as they are),
    and every batch is sliced from them with one indexing operation: a fresh
    random permutation per epoch for training, in order for evaluation. No
    per-sample ``__getitem__`` and no collate function run: a batch costs one
    indexing operation instead of ``batch_size`` Python calls, which matters
    wherever the model itself is cheap (small networks, prediction, GPUs).
    Everything else is skorch:
    callbacks, ``train_split`` (for instance
    :class:`~skorch.dataset.ValidSplit` with
    :class:`~skorch.callbacks.EarlyStopping`), ``device``, ``set_params``,
    pickling.

    The fast path is taken through skorch's own hooks
    (:meth:`get_dataset`, :meth:`get_iterator`): it honours ``batch_size``,
    ``iterator_train__batch_size``, ``iterator_train__shuffle``,
    ``iterator_train__drop_last``, ``iterator_valid__batch_size`` (used by
    ``predict_proba`` too), and ignores worker and pinning options of the
    DataLoader. Any other data (a custom :class:`~torch.utils.data.Dataset`,
    pandas, dicts of arrays), a replaced ``iterator_train`` or
    ``iterator_valid``, or DataLoader-only arguments such as
    ``iterator_train__collate_fn`` or ``iterator_train__sampler`` take
    skorch's regular path.

    Parameters
    ----------
    module : torch module class or instance
        The network; it should return logits (see ``criterion``).
    *args
        Further positional arguments of :class:`skorch.NeuralNetClassifier`.
    criterion : torch criterion class, default=torch.nn.CrossEntropyLoss
        The loss. The default expects logits, and makes ``predict_proba``
        apply a softmax (skorch's ``predict_nonlinearity="auto"``).
    iterator_train__shuffle : bool, default=True
        Whether training batches come in a new random order every epoch.
        Unlike stock skorch, whose DataLoader does not shuffle unless asked,
        shuffling is on by default.
    random_state : int, RandomState instance or None, default=None
        Seeds module initialisation and training: shuffling, dropout and
        ``augmentation``. With an int, two fits on the same data give
        bit-identical networks on a CPU (on CUDA, this further needs
        :func:`torch.use_deterministic_algorithms`). A RandomState instance
        is drawn from (once for initialisation, once per call to ``fit`` or
        ``partial_fit``). Seeding happens inside
        :func:`torch.random.fork_rng`, so torch's global random state is the
        same after ``fit`` as before. ``None`` uses and advances torch's
        global random state, like stock skorch.
    augmentation : callable or None, default=None
        Applied to every training batch of inputs (a tensor on the net's
        device) before the forward pass; never during validation or
        prediction. For images, see :class:`RandomCropFlip`.
    **kwargs
        Further keyword arguments of :class:`skorch.NeuralNetClassifier`
        (``optimizer``, ``lr``, ``max_epochs``, ``batch_size``,
        ``train_split``, ``callbacks``, ``device``, ``module__*``,
        ``optimizer__*``, ...).

    Attributes
    ----------
    module_ : torch module
        The initialised network.
    history_ : skorch.History
        Losses and other records per epoch and batch.
    classes_ : ndarray
        The class labels seen in ``fit`` (or ``classes``).

    See Also
    --------
    make_target : Build one with fast defaults from an architecture name.
    skorch.NeuralNetClassifier : The base class.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from skmia.targets import SmallCNN, TensorNeuralNetClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.rand(64, 1, 8, 8).astype(np.float32)
    >>> y = rng.randint(0, 3, size=64)
    >>> net = TensorNeuralNetClassifier(
    ...     SmallCNN, module__n_classes=3, module__in_channels=1,
    ...     optimizer=torch.optim.Adam, max_epochs=2, train_split=None,
    ...     verbose=0, random_state=0,
    ... )
    >>> net.fit(X, y).predict_proba(X).shape
    (64, 3)
    """

    _parameter_constraints = {
        "random_state": ["random_state"],
        "augmentation": [callable, None],
    }

    def __init__(
        self,
        module,
        *args,
        criterion=torch.nn.CrossEntropyLoss,
        iterator_train__shuffle=True,
        random_state=None,
        augmentation=None,
        **kwargs,
    ):
        super().__init__(
            module,
            *args,
            criterion=criterion,
            iterator_train__shuffle=iterator_train__shuffle,
            **kwargs,
        )
        self.random_state = random_state
        self.augmentation = augmentation

    # -- seeding -----------------------------------------------------------

    def _check_skmia_params(self):
        validate_parameter_constraints(
            self._parameter_constraints,
            {name: getattr(self, name) for name in self._parameter_constraints},
            caller_name=type(self).__name__,
        )

    def _seed(self, *key):
        """An int seed from ``random_state`` and ``key``, or ``None``."""
        random_state = self.random_state
        if random_state is None:
            return None
        if isinstance(random_state, numbers.Integral):
            entropy = int(random_state)
        else:
            rng = check_random_state(random_state)
            entropy = int(rng.randint(MAX_INT))
        if not key:
            return entropy
        return int(np.random.SeedSequence([entropy, *key]).generate_state(1)[0])

    @contextlib.contextmanager
    def _seeded(self, seed):
        """Run under ``torch.manual_seed(seed)`` without touching the caller's RNG."""
        if seed is None:
            yield
            return
        devices = []
        if torch.cuda.is_available() and (
            torch.cuda.is_initialized() or "cuda" in str(self.device)
        ):
            devices = list(range(torch.cuda.device_count()))
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            yield

    def initialize(self):
        """Initialise the module, criterion, optimizer and callbacks.

        Runs under ``random_state`` (see the class docstring), so the initial
        weights are reproducible.
        """
        self._check_skmia_params()
        with self._seeded(self._seed()):
            return super().initialize()

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        """Train for ``max_epochs`` more epochs, without re-initialising.

        Parameters
        ----------
        X : array-like or Dataset
            Inputs; a NumPy array or torch tensor takes the fast path.
        y : array-like or None
            Class labels.
        classes : array-like or None
            Unused, for scikit-learn compatibility.
        **fit_params : dict
            Passed to the module's ``forward`` and to ``train_split``.

        Returns
        -------
        self : TensorNeuralNetClassifier
            The net, trained ``max_epochs`` epochs more.
        """
        if not self.initialized_:
            self.initialize()
        self._check_skmia_params()
        # Training draws from a stream keyed by the epochs already done, so
        # a fit equals a fresh initialize() + partial_fit(), and successive
        # partial_fit calls continue with fresh (but reproducible) shuffles.
        with self._seeded(self._seed(len(self.history))), self._training_run():
            return super().partial_fit(X, y, classes=classes, **fit_params)

    @contextlib.contextmanager
    def _training_run(self):
        """Context of one training run of :meth:`partial_fit`.

        Entered after initialisation and seeding, and left even when
        training raises; subclasses extend it to undo what a run sets up
        (the base class sets up nothing).
        """
        yield

    # -- data --------------------------------------------------------------

    def get_dataset(self, X, y=None):
        """Wrap ``X`` and ``y`` as tensors (once), or defer to skorch.

        NumPy arrays and torch tensors become a dataset that
        :meth:`get_iterator` slices batch by batch. Datasets, other input
        types, and a customised ``dataset`` parameter go through
        :meth:`skorch.NeuralNet.get_dataset`.
        """
        custom_dataset = self.dataset is not Dataset or self.get_params_for("dataset")
        y_ok = y is None or _is_array(y) or isinstance(y, list)
        if custom_dataset or not (_is_array(X) and y_ok):
            return super().get_dataset(X, y)
        return _TensorDataset(_as_input_tensor(X), _as_target_tensor(y))

    def get_iterator(self, dataset, training=False):
        """Batches sliced from tensors when ``dataset`` holds tensors.

        Reads the same parameters as :meth:`skorch.NeuralNet.get_iterator`
        (``batch_size``, ``iterator_train__*`` or ``iterator_valid__*``;
        a batch size of -1 means the whole dataset). Falls back to it for
        other datasets, a replaced iterator class, or DataLoader-only
        arguments.
        """
        prefix = "iterator_train" if training else "iterator_valid"
        iterator = self.iterator_train if training else self.iterator_valid
        kwargs = self.get_params_for(prefix)
        source = _tensor_source(dataset)
        if (
            source is None
            or iterator is not DataLoader
            or set(kwargs) - _TENSOR_LOADER_KWARGS - _IGNORED_LOADER_KWARGS
        ):
            return super().get_iterator(dataset, training=training)
        X, y, indices = source
        batch_size = kwargs.get("batch_size", self.batch_size)
        if batch_size == -1:
            batch_size = len(dataset)
        return TensorBatchIterator(
            X,
            y,
            indices,
            batch_size=max(int(batch_size), 1),
            shuffle=bool(kwargs.get("shuffle", False)),
            drop_last=bool(kwargs.get("drop_last", False)),
            generator=kwargs.get("generator"),
        )

    # -- training step -----------------------------------------------------

    def train_step_single(self, batch, **fit_params):
        """One training step; applies ``augmentation`` to the batch first."""
        if self.augmentation is not None:
            Xi, yi = unpack_data(batch)
            batch = (self.augmentation(to_tensor(Xi, device=self.device)), yi)
        return super().train_step_single(batch, **fit_params)
