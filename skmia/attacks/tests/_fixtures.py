"""Experiments and helpers shared by the attack tests.

:func:`digits_experiment` follows Carlini et al.'s setup: a pool of
records, a target trained on a random half of it, shadows trained on random
halves of the same pool, and the pool's records scored. Both builders are
cached, so each experiment is built once per session.
"""

import contextlib
import functools
import pickle

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils import Bunch

from skmia.datasets import load_digits_images
from skmia.metrics import tpr_at_fpr
from skmia.shadow import ShadowModels
from skmia.targets import make_target

N_POOL = 200


@contextlib.contextmanager
def one_torch_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def flatten(X):
    """Images to rows (module level so that pipelines using it pickle)."""
    return np.reshape(X, (len(X), -1))


@functools.lru_cache(maxsize=None)
def digits_experiment(seed=0):
    """Pool of 200 digits, a wide MLP memorising a random half, 8 shadows."""
    digits = load_digits_images()
    rng = np.random.RandomState(seed)
    pool = digits.records[rng.choice(len(digits.records), N_POOL, replace=False)]
    membership = np.zeros(N_POOL, dtype=np.int64)
    membership[rng.permutation(N_POOL)[:N_POOL // 2]] = 1
    net = make_target("mlp", n_classes=10, in_features=64,
                      module__hidden_sizes=(1024,), max_epochs=200,
                      random_state=seed)
    with one_torch_thread():
        target = net.fit(pool.X[membership == 1], pool.y[membership == 1])
    shadows = ShadowModels(clone(target), n_models=8, n_jobs=1,
                           random_state=seed).fit(pool)
    return Bunch(pool=pool, membership=membership, target=target, shadows=shadows)


@functools.lru_cache(maxsize=None)
def digits_ensemble(seed=0, n_pool=1000, n_models=10):
    """Ten MLPs, each memorising a random half of a pool of 1000 digits.

    For leave-one-model-out evaluation: each model in turn plays the target,
    so pooling the turns gives thousands of non-members, enough to read a
    TPR at 1% FPR (about 20 s on 2 cores).
    """
    digits = load_digits_images()
    rng = np.random.RandomState(seed)
    pool = digits.records[rng.choice(len(digits.records), n_pool, replace=False)]
    net = make_target("mlp", n_classes=10, in_features=64,
                      module__hidden_sizes=(256,), max_epochs=100,
                      random_state=seed)
    shadows = ShadowModels(net, n_models=n_models, n_jobs=2, keep_models=True,
                           random_state=seed).fit(pool)
    return Bunch(pool=pool, shadows=shadows)


@functools.lru_cache(maxsize=None)
def cheap_experiment(seed, n_models):
    """A logistic regression on flat digits: a fast target for API checks.

    The target is trained on a random half of a 160-record pool (drawn with
    ``seed``); the ``n_models`` shadows keep their models so records outside
    the pool (``outside``, 40 more digits) can be scored.
    """
    digits = load_digits_images()
    rng = np.random.RandomState(seed)
    order = rng.permutation(len(digits.records))
    pool, outside = digits.records[order[:160]], digits.records[order[160:200]]
    membership = np.zeros(160, dtype=np.int64)
    membership[rng.permutation(160)[:80]] = 1
    estimator = make_pipeline(FunctionTransformer(flatten),
                              LogisticRegression(C=100.0, max_iter=300))
    target = clone(estimator).fit(pool.X[membership == 1], pool.y[membership == 1])
    shadows = ShadowModels(clone(target), n_models=n_models, random_state=0,
                           keep_models=True).fit(pool)
    return Bunch(pool=pool, outside=outside, membership=membership, target=target,
                 shadows=shadows)


def split_half(records, membership, seed=0):
    """Disjoint, balanced halves: fit the attack on one, evaluate on the other."""
    rng = np.random.RandomState(seed)
    fit_idx, eval_idx = [], []
    for m in (0, 1):
        idx = rng.permutation(np.flatnonzero(membership == m))
        fit_idx.append(idx[: len(idx) // 2])
        eval_idx.append(idx[len(idx) // 2:])
    fit_idx, eval_idx = np.concatenate(fit_idx), np.concatenate(eval_idx)
    return ((records[fit_idx], membership[fit_idx]),
            (records[eval_idx], membership[eval_idx]))


def check_clone_pickle_and_search(attack, pool, membership, grid):
    """The contract of an attack given shared shadows; returns it fitted on ``pool``.

    Clones keep the target and the shadows, pickling keeps the scores, and
    a grid search over ``grid`` keeps the shadows and ranks the pool's
    members above chance in every candidate (AUC > 0.6).
    """
    target, shadows = attack.target, attack.shadow_models
    cloned = clone(attack)
    assert cloned.target is target and cloned.shadow_models is shadows
    attack.fit(pool)
    back = pickle.loads(pickle.dumps(attack))
    np.testing.assert_array_equal(back.decision_function(pool),
                                  attack.decision_function(pool))
    search = GridSearchCV(clone(attack), grid, scoring="roc_auc",
                          cv=StratifiedKFold(3, shuffle=True, random_state=0))
    search.fit(pool, membership)
    assert search.best_estimator_.shadow_models is shadows
    assert np.all(search.cv_results_["mean_test_score"] > 0.6)
    return attack


def report(name, membership, scores):
    """AUC, TPR at 5% and 10% FPR (printed with ``pytest -s``)."""
    auc = roc_auc_score(membership, scores)
    tpr5, tpr10 = tpr_at_fpr(membership, scores, fpr=[0.05, 0.1])
    print(f"{name:28s} AUC={auc:.3f} TPR@5%FPR={tpr5:.3f} TPR@10%FPR={tpr10:.3f}")
    return auc, tpr5, tpr10


class ProbaOnly(ClassifierMixin, BaseEstimator):
    """A fitted model seen only through predict_proba (no logits fast path)."""

    def __init__(self, model=None):
        self.model = model

    def __sklearn_is_fitted__(self):
        return True

    @property
    def classes_(self):
        return self.model.classes_

    def predict_proba(self, X):
        return self.model.predict_proba(X)
