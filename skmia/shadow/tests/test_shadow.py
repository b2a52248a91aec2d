import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils._param_validation import InvalidParameterError

from skmia import Records
from skmia.shadow import ShadowModels
from skmia.signals import compute_signal  # the original, before any monkeypatch
from skmia.targets import make_target

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning")

FITS = {"count": 0, "fail_at": None}


class CountingLogisticRegression(LogisticRegression):
    """Counts its fits in this process; raises on the fit numbered ``fail_at``."""

    def fit(self, X, y):
        FITS["count"] += 1
        if FITS["fail_at"] is not None and FITS["count"] == FITS["fail_at"]:
            raise RuntimeError("killed")
        return super().fit(X, y)


@pytest.fixture(autouse=True)
def reset_counter():
    FITS.update(count=0, fail_at=None)


@pytest.fixture(scope="module")
def pool():
    from skmia.datasets import load_digits_images

    digits = load_digits_images()
    return Records(digits.data[:300], digits.target[:300])


@pytest.fixture(scope="module")
def flat_pool(pool):
    return Records(pool.X.reshape(len(pool), -1), pool.y)


def small_net(**params):
    return make_target("mlp", n_classes=10, in_features=64, max_epochs=3, **params)


def test_every_record_is_in_for_half_the_models(flat_pool):
    shadows = ShadowModels(LogisticRegression(max_iter=100), n_models=6,
                           random_state=0).fit(flat_pool)
    assert shadows.keep_.shape == (6, len(flat_pool)) and shadows.keep_.dtype == bool
    np.testing.assert_array_equal(shadows.keep_.sum(axis=0), 3)
    assert shadows.outputs_.shape == (6, len(flat_pool), 1, 10)
    assert shadows.outputs_.dtype == np.float32 and shadows.output_kind_ == "proba"
    assert len(np.unique(shadows.seeds_)) == 6
    np.testing.assert_array_equal(shadows.labels_, flat_pool.y)
    # each model's outputs are those of a model trained on its own half
    model = LogisticRegression(max_iter=100, random_state=shadows.seeds_[2])
    model.fit(flat_pool.X[shadows.keep_[2]], flat_pool.y[shadows.keep_[2]])
    np.testing.assert_allclose(shadows.outputs_[2, :, 0], model.predict_proba(flat_pool.X),
                               rtol=1e-5, atol=1e-6)


def test_torch_shadows_keep_logits_and_match_a_direct_fit(pool):
    shadows = ShadowModels(small_net(), n_models=2, random_state=0).fit(pool)
    assert shadows.output_kind_ == "logits"
    net = small_net(random_state=int(shadows.seeds_[1]))
    net.fit(pool.X[shadows.keep_[1]], pool.y[shadows.keep_[1]])
    np.testing.assert_allclose(
        shadows.outputs_[1, :, 0], net.forward(pool.X).numpy(), rtol=1e-4, atol=1e-5)


def test_same_results_for_any_n_jobs(pool):
    serial = ShadowModels(small_net(), n_models=4, n_jobs=1, random_state=0).fit(pool)
    parallel = ShadowModels(small_net(), n_models=4, n_jobs=2, random_state=0).fit(pool)
    np.testing.assert_array_equal(serial.keep_, parallel.keep_)
    np.testing.assert_array_equal(serial.outputs_, parallel.outputs_)
    other = ShadowModels(small_net(), n_models=4, n_jobs=1, random_state=1).fit(pool)
    assert not np.array_equal(serial.keep_, other.keep_)


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_results(pool):
    distributed = pytest.importorskip("distributed")
    import joblib

    local = ShadowModels(small_net(), n_models=4, random_state=0).fit(pool)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        with joblib.parallel_config(backend="dask"):
            remote = ShadowModels(small_net(), n_models=4, n_jobs=-1,
                                  random_state=0).fit(pool)
    np.testing.assert_array_equal(local.outputs_, remote.outputs_)


def test_memory_reuses_finished_models_and_misses_on_changes(flat_pool, tmp_path):
    def make(random_state=0):
        return ShadowModels(CountingLogisticRegression(max_iter=50), n_models=4,
                            random_state=random_state, memory=tmp_path)

    first = make().fit(flat_pool)
    assert FITS["count"] == 4 and first.n_trained_ == 4 and first.n_reused_ == 0
    again = make().fit(flat_pool)
    assert FITS["count"] == 4 and again.n_reused_ == 4 and again.n_trained_ == 0
    np.testing.assert_array_equal(first.outputs_, again.outputs_)
    make(random_state=1).fit(flat_pool)  # new seeds and halves
    assert FITS["count"] == 8
    changed = Records(flat_pool.X.copy(), flat_pool.y)
    changed.X[0, 0] += 1.0
    make().fit(changed)  # changed data
    assert FITS["count"] == 12
    ShadowModels(CountingLogisticRegression(max_iter=50, C=0.5), n_models=4,
                 random_state=0, memory=tmp_path).fit(flat_pool)  # changed params
    assert FITS["count"] == 16


def test_checkpoints_of_worker_processes_are_found_by_any_n_jobs(tmp_path):
    # a pool over joblib's 1 MB threshold reaches worker processes as a
    # read-only memmap; its checkpoints must be found from the main process
    rng = np.random.RandomState(0)
    big = Records(rng.normal(size=(1200, 120)), rng.randint(0, 3, 1200))
    assert big.X.nbytes > 2**20

    def make(n_jobs):
        return ShadowModels(LogisticRegression(max_iter=20), n_models=2, n_jobs=n_jobs,
                            random_state=0, memory=tmp_path)

    first = make(2).fit(big)
    assert first.n_trained_ == 2
    for n_jobs in (2, 1):
        again = make(n_jobs).fit(big)
        assert again.n_reused_ == 2 and again.n_trained_ == 0
        np.testing.assert_array_equal(again.outputs_, first.outputs_)


def test_a_killed_run_loses_no_finished_model(flat_pool, tmp_path):
    shadows = ShadowModels(CountingLogisticRegression(max_iter=50), n_models=5,
                           random_state=0, memory=tmp_path)
    FITS["fail_at"] = 4
    with pytest.raises(RuntimeError, match="killed"):
        shadows.fit(flat_pool)
    FITS.update(count=0, fail_at=None)
    shadows.fit(flat_pool)
    assert shadows.n_reused_ == 3 and shadows.n_trained_ == 2 and FITS["count"] == 2
    fresh = ShadowModels(LogisticRegression(max_iter=50), n_models=5, random_state=0)
    np.testing.assert_allclose(fresh.fit(flat_pool).outputs_, shadows.outputs_)


def test_keep_models_and_locate(flat_pool):
    shadows = ShadowModels(LogisticRegression(max_iter=50), n_models=2, random_state=0,
                           keep_models=True).fit(flat_pool)
    assert len(shadows.estimators_) == 2
    np.testing.assert_allclose(
        shadows.estimators_[0].predict_proba(flat_pool.X), shadows.outputs_[0, :, 0],
        rtol=1e-5)
    idx = np.array([5, 0, 17])
    np.testing.assert_array_equal(shadows.locate(flat_pool[idx]), idx)
    outsider = Records(flat_pool.X[:1] + 100.0, flat_pool.y[:1])
    np.testing.assert_array_equal(shadows.locate(outsider), [-1])
    assert not hasattr(ShadowModels(LogisticRegression(), n_models=2).fit(flat_pool),
                       "estimators_")


def test_queries_add_a_query_axis(flat_pool):
    shadows = ShadowModels(LogisticRegression(max_iter=50), n_models=2, random_state=0,
                           queries=lambda X: [X, X[:, ::-1]]).fit(flat_pool)
    assert shadows.outputs_.shape == (2, len(flat_pool), 2, 10)
    assert not np.allclose(shadows.outputs_[:, :, 0], shadows.outputs_[:, :, 1])


def test_progress_bar(flat_pool, capsys):
    ShadowModels(LogisticRegression(max_iter=50), n_models=2, verbose=1,
                 random_state=0).fit(flat_pool)
    assert "shadow models" in capsys.readouterr().err


class NotClonable(ClassifierMixin, BaseEstimator):
    def __init__(self, c=1.0):
        self.c = c * 2  # modifies its parameter: sklearn's clone refuses it

    def fit(self, X, y):
        return self

    def predict_proba(self, X):
        return np.full((len(X), 10), 0.1)


def test_bad_input(flat_pool):
    with pytest.raises(InvalidParameterError, match="n_models"):
        ShadowModels(LogisticRegression(), n_models=1).fit(flat_pool)
    with pytest.raises(ValueError, match="too small"):
        ShadowModels(LogisticRegression(), n_models=4).fit(flat_pool[:12])
    with pytest.raises(TypeError, match="cannot clone"):
        ShadowModels(NotClonable(), n_models=2).fit(flat_pool)
    with pytest.raises(InvalidParameterError, match="estimator"):
        ShadowModels(object(), n_models=2).fit(flat_pool)
    with pytest.raises(TypeError, match="Records"):
        ShadowModels(LogisticRegression(), n_models=2).fit(flat_pool.X)


def test_pairs_of_models_train_on_complementary_stratified_halves(flat_pool):
    shadows = ShadowModels(LogisticRegression(max_iter=50), n_models=4,
                           random_state=0).fit(flat_pool)
    keep = shadows.keep_
    np.testing.assert_array_equal(keep[0], ~keep[1])
    np.testing.assert_array_equal(keep[2], ~keep[3])
    assert not np.array_equal(keep[0], keep[2])
    # every prefix of an even number of models is balanced
    np.testing.assert_array_equal(keep[:2].sum(axis=0), 1)
    for m in range(4):
        for c in range(10):
            in_class = flat_pool.y == c
            assert abs(keep[m, in_class].sum() - in_class.sum() / 2) <= 0.5


def test_head_keeps_the_first_models(flat_pool):
    shadows = ShadowModels(LogisticRegression(max_iter=50), n_models=4,
                           random_state=0).fit(flat_pool)
    head = shadows.head(2)
    assert head.n_models == 2 and shadows.n_models == 4
    np.testing.assert_array_equal(head.outputs_, shadows.outputs_[:2])
    np.testing.assert_array_equal(head.keep_.sum(axis=0), 1)
    with pytest.raises(ValueError, match="between 1 and 4"):
        shadows.head(5)


def test_select_any_models(flat_pool):
    shadows = ShadowModels(LogisticRegression(max_iter=50), n_models=4, random_state=0,
                           keep_models=True).fit(flat_pool)
    subset = shadows.select([3, 0])
    np.testing.assert_array_equal(subset.keep_, shadows.keep_[[3, 0]])
    assert subset.estimators_[0] is shadows.estimators_[3]
    with pytest.raises(ValueError, match=r"\[0, 3\]"):
        shadows.select([4])


def test_a_larger_ensemble_extends_a_smaller_one(flat_pool, tmp_path):
    small = ShadowModels(CountingLogisticRegression(max_iter=50), n_models=2,
                         random_state=0, memory=tmp_path).fit(flat_pool)
    large = ShadowModels(CountingLogisticRegression(max_iter=50), n_models=4,
                         random_state=0, memory=tmp_path).fit(flat_pool)
    assert large.n_reused_ == 2 and large.n_trained_ == 2
    np.testing.assert_array_equal(large.keep_[:2], small.keep_)
    np.testing.assert_array_equal(large.outputs_[:2], small.outputs_)


def test_threads_of_one_process_give_the_same_results(pool):
    import joblib

    serial = ShadowModels(small_net(), n_models=2, random_state=0).fit(pool)
    with joblib.parallel_config(backend="threading"):
        threaded = ShadowModels(small_net(), n_models=2, n_jobs=2,
                                random_state=0).fit(pool)
    np.testing.assert_array_equal(serial.outputs_, threaded.outputs_)


def test_same_results_for_any_n_jobs_with_odd_strides(pool):
    # images with a channel axis added by indexing have non-canonical strides;
    # workers get canonical ones, and torch's kernels follow the strides
    odd = Records(pool.X[:, 0][:, np.newaxis], pool.y)
    assert odd.X.strides != np.array(odd.X, order="C").strides
    net = make_target("small_cnn", n_classes=10, in_channels=1, max_epochs=2)
    serial = ShadowModels(net, n_models=2, n_jobs=1, random_state=0).fit(odd)
    parallel = ShadowModels(net, n_models=2, n_jobs=2, random_state=0).fit(odd)
    np.testing.assert_array_equal(serial.outputs_, parallel.outputs_)


@pytest.fixture(scope="module")
def lr_shadows(flat_pool):
    return ShadowModels(LogisticRegression(max_iter=50), n_models=4,
                        random_state=0).fit(flat_pool)


def test_locate_takes_tensors_and_any_strides(flat_pool, lr_shadows):
    import torch

    idx = np.arange(len(flat_pool))[::-1]
    np.testing.assert_array_equal(
        lr_shadows.locate(Records(torch.as_tensor(flat_pool.X[idx]), flat_pool.y[idx])),
        idx)
    fortran = Records(np.asfortranarray(flat_pool.X), flat_pool.y)
    np.testing.assert_array_equal(lr_shadows.locate(fortran), np.arange(len(flat_pool)))
    narrower = Records(flat_pool.X[:, :-1], flat_pool.y)
    assert np.all(lr_shadows.locate(narrower) == -1)
    # the pool is copied: changing the caller's array changes nothing
    X = flat_pool.X.copy()
    shadows = ShadowModels(LogisticRegression(max_iter=5), n_models=2,
                           random_state=0).fit(Records(X, flat_pool.y))
    X[0] += 1
    assert shadows.locate(flat_pool[:1])[0] == 0


@pytest.fixture
def signal_calls(monkeypatch):
    """The names ``skmia.signals.compute_signal`` is called with from now on."""
    from skmia import signals

    calls, compute = [], signals.compute_signal

    def counting(name, *args, **kwargs):
        calls.append(name)
        return compute(name, *args, **kwargs)

    monkeypatch.setattr(signals, "compute_signal", counting)
    return calls


def fit_lr_shadows(pool, n_models=4):
    return ShadowModels(LogisticRegression(max_iter=50), n_models=n_models,
                        random_state=0).fit(pool)


def test_signal_is_computed_once_and_kept(flat_pool, signal_calls):
    shadows = fit_lr_shadows(flat_pool)
    logit = shadows.signal("logit")
    assert signal_calls == ["logit"] * 4  # one call per model
    expected = np.stack([compute_signal("logit", shadows.labels_, proba=out)
                         for out in shadows.outputs_])
    np.testing.assert_array_equal(logit, expected)
    assert shadows.signal("logit") is logit and len(signal_calls) == 4  # kept
    with pytest.raises(ValueError, match="read-only"):
        logit[0, 0, 0] = 1.0
    with pytest.raises(ValueError, match="Unknown signal 'margin'"):
        shadows.signal("margin")


def test_select_and_head_slice_the_kept_signals(flat_pool, signal_calls):
    shadows = fit_lr_shadows(flat_pool)
    logit, loss = shadows.signal("logit"), shadows.signal("loss")
    subset, head = shadows.select([2, 0]), shadows.head(2)
    np.testing.assert_array_equal(subset.signal("logit"), logit[[2, 0]])
    np.testing.assert_array_equal(subset.signal("loss"), loss[[2, 0]])
    np.testing.assert_array_equal(head.signal("logit"), logit[:2])
    assert len(signal_calls) == 8  # sliced from the parent's, not recomputed
    with pytest.raises(ValueError, match="read-only"):
        subset.signal("loss")[0, 0, 0] = 1.0
    # a subset keeps its signals for itself, and the parent for itself
    entropy = subset.signal("entropy")
    assert signal_calls[8:] == ["entropy"] * 2
    np.testing.assert_array_equal(shadows.signal("entropy")[[2, 0]], entropy)
    assert signal_calls[10:] == ["entropy"] * 4
    shadows.signal("confidence")
    head.signal("confidence")
    assert signal_calls[14:] == ["confidence"] * 6


def test_kept_signals_are_not_pickled_nor_shared_with_copies(flat_pool, signal_calls):
    import copy
    import pickle

    shadows = fit_lr_shadows(flat_pool)
    size = len(pickle.dumps(shadows))
    logit = shadows.signal("logit")
    assert len(pickle.dumps(shadows)) == size  # 9.6 kB of logit not carried
    restored = pickle.loads(pickle.dumps(shadows))
    copied = copy.copy(shadows)
    assert shadows.signal("logit") is logit and len(signal_calls) == 4
    # the copies compute their own on demand, and the same values
    for other in (restored, copied):
        np.testing.assert_array_equal(other.signal("logit"), logit)
        assert other.signal("logit") is not logit
    assert len(signal_calls) == 12
    assert shadows.signal("logit") is logit


def test_non_finite_outputs_are_refused_once_replaced(flat_pool):
    shadows = fit_lr_shadows(flat_pool)
    shadows.signal("confidence")
    broken = shadows.select([0, 1])
    broken.outputs_ = broken.outputs_.copy()  # new outputs: the kept signals go
    broken.outputs_[1, 4, 0, :] = np.nan
    with pytest.raises(ValueError, match="non-finite 'confidence' values"):
        broken.signal("confidence")
