import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils._param_validation import InvalidParameterError

from skmia import Records
from skmia.shadow import ShadowModels
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


def brute_force_locate(pool, records):
    """Position of each record's first byte-and-label match in ``pool``, or -1."""
    pool_rows = np.asarray(pool.X).reshape(len(pool), -1)
    rows = np.asarray(records.X).reshape(len(records), -1)
    out = []
    for x, y in zip(rows, records.y):
        same = np.flatnonzero((pool_rows == x).all(axis=1) & (pool.y == y))
        out.append(same[0] if len(same) else -1)
    return np.array(out, dtype=np.intp)


@pytest.mark.parametrize("dtype, shape", [
    (np.float64, (8, 8)),  # whole words: looked up without a copy
    (np.uint8, (3, 5)),  # 15 bytes a row: padded
    (np.float32, (1, 3, 3)),
])
def test_locate_matches_a_brute_force_search(dtype, shape, monkeypatch):
    from skmia.shadow import _shadow

    rng = np.random.RandomState(0)
    X = rng.randint(0, 4, size=(60,) + shape).astype(dtype)
    X[10] = X[3]  # a duplicate record: its first occurrence is reported
    y = rng.randint(0, 3, 60)
    y[10] = y[3]
    pool = Records(X, y)
    index = _shadow._RowIndex(pool)
    queries = Records(
        np.concatenate([X[::-1], X[:5] + 1, X[:5]]),
        np.concatenate([y[::-1], y[:5], (y[:5] + 1) % 3]),  # other labels: absent
    )
    expected = brute_force_locate(pool, queries)
    assert expected[-1] == -1 and 3 in expected and 10 not in expected
    np.testing.assert_array_equal(index.find(queries), expected)
    np.testing.assert_array_equal(index.find(pool), brute_force_locate(pool, pool))
    np.testing.assert_array_equal(index.find(queries[:0]), [])

    # every digest colliding: matches are still found by comparing bytes
    monkeypatch.setattr(_shadow, "_digest", lambda words, labels: np.zeros(
        len(words), dtype=np.uint64))
    colliding = _shadow._RowIndex(pool)
    np.testing.assert_array_equal(colliding.find(queries), expected)
    np.testing.assert_array_equal(colliding.find(pool), brute_force_locate(pool, pool))


def test_digests_separate_rows_that_differ_only_in_high_bits():
    from skmia.shadow import _shadow

    # +-1.0 features differ only in the sign bit: a plain weighted sum of the
    # words would give every such row one of two digests
    rng = np.random.RandomState(0)
    signs = np.unique(rng.choice([-1.0, 1.0], size=(3000, 64)), axis=0)
    binary = np.unique(rng.randint(0, 2, size=(3000, 64)).astype(np.float64), axis=0)
    for X in (signs, binary):
        words, labels, _ = _shadow._row_words(Records(X, np.zeros(len(X), int)))
        assert len(np.unique(_shadow._digest(words, labels))) == len(X)


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


def test_signal_is_computed_once_and_shared(flat_pool, lr_shadows, monkeypatch):
    import pickle

    from skmia.shadow import _shadow
    from skmia.signals import compute_signal

    logit = lr_shadows.signal("logit")
    expected = np.stack([compute_signal("logit", lr_shadows.labels_, proba=out)
                         for out in lr_shadows.outputs_])
    np.testing.assert_array_equal(logit, expected)
    assert lr_shadows.signal("logit") is logit  # cached
    with pytest.raises(ValueError, match="read-only"):
        logit[0, 0, 0] = 1.0
    loss = lr_shadows.signal("loss")
    subset = lr_shadows.select([2, 0])
    restored = pickle.loads(pickle.dumps(lr_shadows))
    # the kept signals survive select and pickling, and are sliced, not recomputed
    assert lr_shadows.signal("logit") is logit and lr_shadows.signal("loss") is loss
    monkeypatch.setattr(_shadow, "compute_signal", None)
    np.testing.assert_array_equal(subset.signal("logit"), logit[[2, 0]])
    np.testing.assert_array_equal(subset.signal("loss"), loss[[2, 0]])
    with pytest.raises(ValueError, match="read-only"):
        subset.signal("loss")[0, 0, 0] = 1.0
    monkeypatch.undo()
    assert restored.__dict__.get("_signals", {}) == {}  # not pickled
    np.testing.assert_array_equal(restored.signal("logit"), logit)
    with pytest.raises(ValueError, match="Unknown signal 'margin'"):
        lr_shadows.signal("margin")
    broken = lr_shadows.select([0, 1])
    broken.outputs_ = broken.outputs_.copy()
    broken.outputs_[1, 4, 0, :] = np.nan
    broken._signals = {}
    with pytest.raises(ValueError, match="non-finite 'confidence' values"):
        broken.signal("confidence")
