"""Checks every public attack must pass (in the spirit of imblearn's test_common)."""

import importlib
import inspect
import pickle
import pkgutil
import re

import numpy as np
import pytest
from numpydoc.docscrape import NumpyDocString
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score

import skmia
import skmia.attacks
from skmia.attacks import (
    RMIA,
    CalibratedLossAttack,
    LabelOnlyAttack,
    LiRA,
    MetaClassifierAttack,
    QuantileRegressionAttack,
    ShadowModelAttack,
    ThresholdAttack,
)
from skmia.shadow import ShadowModels

# One ShadowModels per target, fitted once on the audit records (so that every
# record the checks fit on is in its pool), shared by the shadow attacks below.
_SHARED = {}


@pytest.fixture(autouse=True)
def _shadow_pool(audit_set):
    _SHARED.setdefault("pool", audit_set[0])


def shared_shadows(target):
    if target is None:
        return None
    if id(target) not in _SHARED:
        shadows = ShadowModels(clone(target), n_models=8, random_state=0)
        _SHARED[id(target)] = (target, shadows.fit(_SHARED["pool"]))
    return _SHARED[id(target)][1]


# (name, factory, grid for GridSearchCV); factories take the fitted target.
ATTACKS = [
    ("threshold-loss", lambda t: ThresholdAttack(t, signal="loss"),
     {"signal": ["loss", "confidence"]}),
    ("threshold-logit-per-class", lambda t: ThresholdAttack(t, signal="logit", per_class=True),
     {"per_class": [True, False]}),
    ("threshold-user", lambda t: ThresholdAttack(t, signal="entropy", threshold=0.5),
     {"threshold": [0.1, 0.5]}),
    ("shadow-model", lambda t: ShadowModelAttack(t, shadow_models=shared_shadows(t),
                                                 random_state=0),
     {"per_class": [True, False]}),
    ("shadow-model-features",
     lambda t: ShadowModelAttack(t, shadow_models=shared_shadows(t),
                                 features=("sorted_proba", "loss"), random_state=0),
     {"features": [("sorted_proba", "loss"), ("proba",)]}),
    ("threshold-shadow-calibrated",
     lambda t: ThresholdAttack(t, signal="loss", shadow_models=shared_shadows(t)),
     {"per_class": [True, False]}),
    ("lira-online", lambda t: LiRA(t, shadow_models=shared_shadows(t), fixed_variance=True),
     {"fixed_variance": [True, False]}),
    ("lira-offline", lambda t: LiRA(t, online=False, shadow_models=shared_shadows(t)),
     {"fixed_variance": [True, False]}),
    ("rmia", lambda t: RMIA(t, 2, shadow_models=shared_shadows(t), random_state=0),
     {"offline_a": [0.3, 1.0]}),
    ("calibrated-loss", lambda t: CalibratedLossAttack(t, shadow_models=shared_shadows(t)),
     {"n_shadow_models": [8]}),
    ("meta-classifier", lambda t: MetaClassifierAttack(t),
     {"signals": [("loss",), ("loss", "entropy")]}),
    ("meta-classifier-forest",
     lambda t: MetaClassifierAttack(
         t, RandomForestClassifier(n_estimators=20, max_depth=3),
         signals=("sorted_proba", "loss"), random_state=0),
     {"estimator__max_depth": [2, 3]}),
    ("quantile-gaussian", lambda t: QuantileRegressionAttack(t, random_state=0),
     {"signal": ["hinge", "logit"]}),
    ("quantile-pinball",
     lambda t: QuantileRegressionAttack(t, loss="pinball", alpha=0.1, random_state=0),
     {"alpha": [0.1, 0.2]}),
    ("label-only-noise",
     lambda t: LabelOnlyAttack(t, method="noise", n_queries=20, random_state=0),
     {"noise_scales": [(0.5, 1.0), (1.0, 2.0)]}),
    ("label-only-boundary",
     lambda t: LabelOnlyAttack(t, method="boundary", n_queries=30, random_state=0),
     {"method": ["boundary", "noise"]}),
]
IDS = [name for name, _, _ in ATTACKS]

TARGETS = ["sklearn_target", "torch_target"]


def fit_and_eval_sets(audit_set):
    records, membership = audit_set
    rng = np.random.RandomState(0)
    order = rng.permutation(len(records))
    half = len(order) // 2
    return (records[order[:half]], membership[order[:half]]), (
        records[order[half:]], membership[order[half:]])


@pytest.fixture(params=TARGETS)
def target(request):
    return request.getfixturevalue(request.param)


@pytest.mark.parametrize("name, factory, grid", ATTACKS, ids=IDS)
class TestAttackContract:
    def test_clone_keeps_fitted_target_and_params(self, name, factory, grid, sklearn_target):
        attack = factory(sklearn_target)
        cloned = clone(attack)
        assert cloned.target is sklearn_target
        assert cloned is not attack
        params, cloned_params = attack.get_params(), cloned.get_params()
        assert params.keys() == cloned_params.keys()
        # the fitted target's own parameters are not attack hyperparameters
        assert not any(key.startswith("target__") for key in params)

    def test_set_params_round_trip(self, name, factory, grid, sklearn_target):
        attack = factory(sklearn_target)
        key, values = next(iter(grid.items()))
        attack.set_params(**{key: values[-1]})
        assert attack.get_params()[key] == values[-1]

    def test_fit_returns_self_and_outputs_follow_convention(
            self, name, factory, grid, target, audit_set):
        (fit_rec, fit_m), (eval_rec, eval_m) = fit_and_eval_sets(audit_set)
        attack = factory(target)
        with pytest.raises(NotFittedError):
            attack.decision_function(eval_rec)
        assert attack.fit(fit_rec, fit_m) is attack
        np.testing.assert_array_equal(attack.classes_, [0, 1])
        scores = attack.decision_function(eval_rec)
        proba = attack.predict_proba(eval_rec)
        pred = attack.predict(eval_rec)
        assert scores.shape == (len(eval_rec),) and np.all(np.isfinite(scores))
        assert proba.shape == (len(eval_rec), 2)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
        assert set(np.unique(pred)) <= {0, 1}
        np.testing.assert_array_equal(pred, (proba[:, 1] >= 0.5).astype(int))

    def test_overfitted_target_leaks(self, name, factory, grid, target, audit_set):
        (fit_rec, fit_m), (eval_rec, eval_m) = fit_and_eval_sets(audit_set)
        assert factory(target).fit(fit_rec, fit_m).score(eval_rec, eval_m) > 0.6

    def test_refit_is_deterministic(self, name, factory, grid, target, audit_set):
        (fit_rec, fit_m), (eval_rec, _) = fit_and_eval_sets(audit_set)
        first = factory(target).fit(fit_rec, fit_m).decision_function(eval_rec)
        second = clone(factory(target)).fit(fit_rec, fit_m).decision_function(eval_rec)
        np.testing.assert_array_equal(first, second)

    def test_pickle_round_trip(self, name, factory, grid, target, audit_set):
        (fit_rec, fit_m), (eval_rec, _) = fit_and_eval_sets(audit_set)
        attack = factory(target).fit(fit_rec, fit_m)
        back = pickle.loads(pickle.dumps(attack))
        np.testing.assert_allclose(
            back.decision_function(eval_rec), attack.decision_function(eval_rec),
            rtol=1e-6)

    def test_grid_search_and_cross_val_score(self, name, factory, grid, sklearn_target,
                                             audit_set):
        records, membership = audit_set
        cv = StratifiedKFold(3, shuffle=True, random_state=0)
        search = GridSearchCV(factory(sklearn_target), grid, scoring="roc_auc", cv=cv)
        search.fit(records, membership)
        assert search.best_estimator_.target is sklearn_target
        assert search.cv_results_["mean_test_score"].shape == (len(next(iter(grid.values()))),)
        serial = cross_val_score(factory(sklearn_target), records, membership, cv=cv)
        parallel = cross_val_score(factory(sklearn_target), records, membership, cv=cv,
                                   n_jobs=2)
        np.testing.assert_allclose(serial, parallel)
        assert np.all(serial > 0.55)

    def test_missing_target_fails_at_fit_not_init(self, name, factory, grid, audit_set):
        attack = factory(None)
        with pytest.raises(ValueError, match="target=None"):
            attack.fit(*audit_set)

    def test_records_must_be_records(self, name, factory, grid, sklearn_target,
                                     audit_set):
        records, membership = audit_set
        with pytest.raises(TypeError, match="Records"):
            factory(sklearn_target).fit(records.X, membership)

    def test_clone_of_fitted_attack_is_unfitted(self, name, factory, grid,
                                                sklearn_target, audit_set):
        (fit_rec, fit_m), (eval_rec, _) = fit_and_eval_sets(audit_set)
        attack = factory(sklearn_target).fit(fit_rec, fit_m)
        cloned = clone(attack)
        assert cloned.target is sklearn_target
        with pytest.raises(NotFittedError):
            cloned.decision_function(eval_rec)

    def test_predict_proba_ranks_like_decision_function(self, name, factory, grid,
                                                        sklearn_target, audit_set):
        (fit_rec, fit_m), (eval_rec, _) = fit_and_eval_sets(audit_set)
        attack = factory(sklearn_target).fit(fit_rec, fit_m)
        order = np.argsort(attack.decision_function(eval_rec), kind="stable")
        assert np.all(np.diff(attack.predict_proba(eval_rec)[order, 1]) >= 0)


# --- documentation: shared parameters and filled placeholders -----------------

SHADOW_PARAMETERS = ("shadow_models", "n_jobs", "random_state", "memory", "verbose")
#: ``{key}`` left in a docstring: a shared text that was never filled (not
#: LaTeX, where braces follow a command or another group: ``\frac{a}{b}``).
PLACEHOLDER = re.compile(r"(?<![\w}\\])\{[A-Za-z_][A-Za-z0-9_]*\}")


def init_parameters(cls):
    return [name for name in inspect.signature(cls.__init__).parameters
            if name != "self"]


def documented_parameters(obj):
    return [name.strip() for entry in NumpyDocString(inspect.getdoc(obj))["Parameters"]
            for name in entry.name.split(",")]


def public_attack_classes():
    """The public estimators of skmia.attacks but their base (no parameters)."""
    classes = [getattr(skmia.attacks, name) for name in skmia.attacks.__all__]
    return [cls for cls in classes
            if inspect.isclass(cls) and cls is not skmia.attacks.BaseAttack]


def shadow_based_attacks():
    """Attacks taking ``shadow_models`` that train their own on the pool.

    :class:`ThresholdAttack` takes a fitted ``shadow_models`` too, but only
    to read its signals (it never trains shadows), so the shadow-training
    parameters are not its own.
    """
    return [cls for cls in public_attack_classes()
            if "shadow_models" in init_parameters(cls) and cls().fit_requires == "pool"]


def test_the_shadow_based_attacks_are_found():
    assert {cls.__name__ for cls in shadow_based_attacks()} == {
        "CalibratedLossAttack", "LiRA", "RMIA", "ShadowModelAttack"}


@pytest.mark.parametrize("cls", shadow_based_attacks(), ids=lambda cls: cls.__name__)
def test_shadow_based_attacks_take_and_document_the_shared_parameters(cls):
    parameters = init_parameters(cls)
    documented = documented_parameters(cls)
    for name in SHADOW_PARAMETERS:
        assert name in parameters, f"{cls.__name__} does not take {name}"
        assert name in documented, f"{cls.__name__} does not document {name}"
    # the same defaults everywhere
    defaults = {name: inspect.signature(cls).parameters[name].default
                for name in SHADOW_PARAMETERS}
    assert defaults == {"shadow_models": None, "n_jobs": None, "random_state": None,
                        "memory": None, "verbose": 0}


def test_shared_parameters_are_described_alike():
    """One text for each (random_state may add what else it seeds)."""
    entries = {cls.__name__: {entry.name: (entry.type, entry.desc) for entry in
                              NumpyDocString(inspect.getdoc(cls))["Parameters"]}
               for cls in shadow_based_attacks()}
    for name in ("shadow_models", "n_jobs", "memory", "verbose"):
        described = {attack: params[name] for attack, params in entries.items()}
        assert len(set(map(str, described.values()))) == 1, described


@pytest.mark.parametrize("cls", public_attack_classes(), ids=lambda cls: cls.__name__)
def test_every_parameter_is_documented_in_order(cls):
    assert documented_parameters(cls) == init_parameters(cls)


def public_docstrings():
    """``(name, docstring)`` of every public name of skmia and its methods."""
    modules = [skmia] + [
        importlib.import_module(f"skmia.{info.name}")
        for info in pkgutil.iter_modules(skmia.__path__)
        if info.ispkg and not info.name.startswith("_") and info.name != "tests"]
    for module in modules:
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            yield f"{module.__name__}.{name}", getattr(obj, "__doc__", None)
            if inspect.isclass(obj):
                for attr, member in inspect.getmembers(obj):
                    if (not attr.startswith("_") and callable(member)
                            and getattr(member, "__module__", "").startswith("skmia")):
                        yield f"{module.__name__}.{name}.{attr}", member.__doc__


def test_no_placeholder_survives_in_a_public_docstring():
    checked, unfilled = 0, []
    for name, doc in public_docstrings():
        # fill_doc's own docstring shows what a placeholder looks like
        if doc is None or name == "skmia.utils.fill_doc":
            continue
        checked += 1
        unfilled += [f"{name}: {found}" for found in PLACEHOLDER.findall(doc)]
    assert checked > 100
    assert not unfilled, unfilled
