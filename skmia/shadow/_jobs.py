"""Training shadow models as jobs: seeded, thread-capped, on GPUs, checkpointed."""

import contextlib
import os
import sys
import threading
import time

import numpy as np
from sklearn.base import clone
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_memory

from ..utils import model_outputs, take_rows

# Seeding and thread counts are process-wide: jobs sharing a process (joblib's
# threading backend, a dask worker with several threads) take turns.
_JOB_LOCK = threading.Lock()


@contextlib.contextmanager
def _seeded_job(seed, n_threads):
    """Seed numpy and torch and cap the thread pools, restoring all afterwards.

    Holds a process-wide lock, so that models trained in threads of one
    process do not share (and race on) the global generators.
    """
    with _JOB_LOCK, _seeded(seed, n_threads):
        yield


@contextlib.contextmanager
def _seeded(seed, n_threads):
    from threadpoolctl import threadpool_limits

    np_state = np.random.get_state()
    np.random.seed(seed)
    torch = sys.modules.get("torch")
    with contextlib.ExitStack() as stack:
        stack.enter_context(threadpool_limits(limits=n_threads))
        if torch is not None:
            stack.enter_context(torch.random.fork_rng(devices=[]))
            torch.manual_seed(seed)
            old_threads = torch.get_num_threads()
            torch.set_num_threads(n_threads)
            stack.callback(torch.set_num_threads, old_threads)
        try:
            yield
        finally:
            np.random.set_state(np_state)


def _spread_over_gpus(model, index):
    """``device="cuda"`` becomes ``cuda:<index mod the GPUs this worker sees>``."""
    params = model.get_params(deep=False)
    torch = sys.modules.get("torch")
    if params.get("device") == "cuda" and torch is not None:
        n_gpus = torch.cuda.device_count()
        if n_gpus > 1:
            model.set_params(device=f"cuda:{index % n_gpus}")


def _fit_one_shadow(estimator, X, y, keep, seed, queries, n_threads, keep_model,
                    index=0):
    """Train one shadow on ``X[keep]`` and return its outputs on every record.

    Module level so that joblib can send it to other processes and
    ``joblib.Memory`` can cache it (``n_threads`` is not part of the key).
    """
    with _seeded_job(seed, n_threads):
        model = clone(estimator)
        if "random_state" in model.get_params(deep=False):
            model.set_params(random_state=int(seed))
        _spread_over_gpus(model, index)
        train = np.flatnonzero(keep)
        model.fit(take_rows(X, train), y[train])
        kinds, outputs = set(), []
        for X_query in (queries(X) if queries is not None else [X]):
            kind, out = model_outputs(model, X_query)
            kinds.add(kind)
            outputs.append(out.astype(np.float32))
    classes = getattr(model, "classes_", None)
    return {
        "outputs": np.stack(outputs, axis=1),  # (n_records, n_queries, n_classes)
        "kind": kinds.pop(),
        "classes": None if classes is None else np.asarray(classes),
        "model": model if keep_model else None,
    }


def _as_ndarrays(func, *args):
    """``func(*args)`` with memory-mapped array arguments seen as plain arrays.

    joblib hands large arrays to worker processes as read-only
    :class:`numpy.memmap`, which :class:`joblib.Memory` hashes differently from
    the same array in the main process: without this, a checkpoint written by
    a worker would be missed by ``check_call_in_cache`` in the main process
    and by ``n_jobs=1``.
    """
    return func(*(np.asarray(a) if isinstance(a, np.memmap) else a for a in args))


_WATCHED_PARENTS = set()


def _exit_with_parent(parent):
    """In a worker process of ``parent``: exit as soon as ``parent`` is gone.

    A worker whose parent was killed (SIGKILL leaves it no time to stop its
    pool) would otherwise finish its model and write its checkpoint into a
    cache that a rerun may be reading. A daemon thread polls the parent's id
    and ends the process when it changes (the worker was re-parented). It is
    not started in the parent itself (``n_jobs=1``, threads) nor in a worker
    some other process started (a dask nanny's).
    """
    if os.getpid() == parent or os.getppid() != parent or parent in _WATCHED_PARENTS:
        return
    _WATCHED_PARENTS.add(parent)

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="skmia-parent-watch", daemon=True).start()


def _in_worker(parent, func, *args):
    """``_as_ndarrays(func, *args)``, in a worker that dies with ``parent``."""
    _exit_with_parent(parent)
    return _as_ndarrays(func, *args)


def _fit_shadows(args, *, memory, n_jobs, progress):
    """``_fit_one_shadow(*a)`` for each ``a`` in ``args``, through ``memory``.

    Checkpointed models load here; only the others go to ``n_jobs`` workers
    of :class:`sklearn.utils.parallel.Parallel`. ``progress(results, total)``
    wraps the stream of trained models (e.g. in a progress bar).

    Returns
    -------
    results : list of dict
        What ``_fit_one_shadow`` returned for each ``args``, in order.
    n_reused : int
        How many of them were loaded from ``memory``.
    """
    if isinstance(memory, os.PathLike):
        memory = os.fspath(memory)
    fit_one = check_memory(memory).cache(_fit_one_shadow, ignore=["n_threads"])
    cached = [
        hasattr(fit_one, "check_call_in_cache") and fit_one.check_call_in_cache(*a)
        for a in args
    ]
    to_train = [m for m in range(len(args)) if not cached[m]]
    # finished models load here; only the others go to the workers
    results = [fit_one(*a) if hit else None for a, hit in zip(args, cached)]
    with _workers_watch_parent():
        trained = Parallel(n_jobs=min(n_jobs, max(1, len(to_train))),
                           return_as="generator")(
            delayed(_in_worker)(os.getpid(), fit_one, *args[m]) for m in to_train
        )
        # the bar first: zip then asks it for one more item, so it ends at n/n
        for result, m in zip(progress(trained, len(to_train)), to_train):
            results[m] = result
    return results, int(sum(cached))


def _workers_watch_parent():
    """Under joblib's default process backend (loky), start each worker's
    parent watch (:func:`_exit_with_parent`) when the worker starts, not at
    its first job: a worker still starting when its parent is killed would
    otherwise wait for work that never comes. Other backends are left as
    configured."""
    import joblib
    from joblib.parallel import get_active_backend

    backend, _ = get_active_backend()
    if type(backend).__name__ != "LokyBackend":
        return contextlib.nullcontext()
    return joblib.parallel_config(backend="loky", initializer=_exit_with_parent,
                                  initargs=(os.getpid(),))


def _check_results(results, classes):
    """Check that every model was fitted on ``classes`` and returned one kind
    of outputs (logits or probabilities) with a column per class; return it."""
    kinds = {r["kind"] for r in results}
    if len(kinds) != 1:
        raise RuntimeError(f"Shadow models returned mixed outputs {kinds}.")
    for m, r in enumerate(results):
        if r["classes"] is not None and not np.array_equal(r["classes"], classes):
            raise ValueError(
                f"Shadow model {m} was fitted with classes "
                f"{r['classes'].tolist()}, not the pool's {classes.tolist()}."
            )
        if r["outputs"].shape[-1] != len(classes):
            raise ValueError(
                f"Shadow model {m} returns {r['outputs'].shape[-1]} output "
                f"columns for {len(classes)} classes."
            )
    return kinds.pop()
