"""Fit the experiment's shared shadow models, locally or on a dask cluster."""

import contextlib
import os
import time

from sklearn.base import clone

__all__ = ["fit_shadows", "shadow_ensemble"]


@contextlib.contextmanager
def _backend(backend, scheduler):
    if backend != "dask":
        yield
        return
    import joblib
    from distributed import Client

    # one thread per worker process: seeding is per process (see ShadowModels)
    client = Client(scheduler) if scheduler else Client(
        processes=True, n_workers=os.cpu_count(), threads_per_worker=1,
        dashboard_address=None)
    try:
        with joblib.parallel_config(backend="dask"):
            yield
    finally:
        client.close()


def shadow_ensemble(estimator, shadows, *, seed, memory, quiet):
    """The unfitted shadow ensemble of the ``shadows`` config section.

    :func:`fit_shadows` fits it; ``skmia run --dry-run`` builds the same one
    to count the models its ``memory`` holds.
    """
    from ..shadow import ShadowModels

    queries = None
    if shadows["augmentations"]:
        from ..signals import AugmentationQueries

        queries = AugmentationQueries()
    return ShadowModels(
        clone(estimator), n_models=shadows["n_models"], n_jobs=shadows["n_jobs"],
        random_state=seed, memory=memory, queries=queries, keep_models=True,
        verbose=0 if quiet else 1)


def fit_shadows(estimator, pool, shadows, *, seed, memory, quiet):
    """Train the shared shadow ensemble on ``pool``.

    Parameters
    ----------
    estimator : estimator
        The unfitted target: every shadow is a clone of it. The models are
        kept (``keep_models=True``): each plays the target in turn for the
        pooled rows (:func:`~skmia.model_selection.leave_one_model_out`).
    pool : Records
        The records the shadows train on (random halves of them).
    shadows : dict
        The ``shadows`` config section.
    seed : int
        Seeds the ensemble.
    memory : joblib.Memory
        Checkpoints every finished shadow.
    quiet : bool
        No progress bar.

    Returns
    -------
    shadow_models : ShadowModels
        Fitted.
    seconds : float
        Wall time of the fit.
    """
    ensemble = shadow_ensemble(estimator, shadows, seed=seed, memory=memory,
                               quiet=quiet)
    start = time.perf_counter()
    with _backend(shadows["backend"], shadows["scheduler"]):
        ensemble.fit(pool)
    return ensemble, time.perf_counter() - start
