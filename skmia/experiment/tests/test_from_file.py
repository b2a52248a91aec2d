"""Auditing a model the user trained: skops files, state dicts, never a pickle."""

import json
import operator
import pickle

import numpy as np
import pytest
import skops.io
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skmia.__main__ import main
from skmia.datasets import load_digits_images
from skmia.experiment import ConfigError, load_config, run_experiment
from skmia.targets import make_target

from ._fixtures import assert_config_error

LOSS = "attacks=[{name: threshold, signal: loss}]"


@pytest.fixture(scope="module")
def digits():
    return load_digits_images()


def _flat_files(tmp_path, digits):
    X = digits.data.reshape(len(digits.data), -1)
    for name, rows in (("members", slice(0, 300)), ("non_members", slice(300, 600))):
        np.savez(tmp_path / f"{name}.npz", X=X[rows], y=digits.target[rows])
    return X


def _config(tmp_path, model_file, members, non_members, *extra):
    return load_config(None, [f"target.from_file={model_file}",
                              f"split.members={members}",
                              f"split.non_members={non_members}",
                              "metrics.n_bootstraps=20", LOSS, *extra])


def _losses(model, X, y):
    return -np.log(model.predict_proba(X)[np.arange(len(y)), y])


def test_skops_model_is_audited(tmp_path, digits):
    X = _flat_files(tmp_path, digits)
    model = LogisticRegression(C=100, max_iter=300).fit(X[:300], digits.target[:300])
    skops.io.dump(model, tmp_path / "model.skops")
    config = _config(tmp_path, tmp_path / "model.skops", tmp_path / "members.npz",
                     tmp_path / "non_members.npz")
    results = run_experiment(config, output=tmp_path / "run", quiet=True)
    # the loss attack's AUC, computed independently from the saved model
    membership = np.r_[np.ones(300), np.zeros(300)]
    expected = roc_auc_score(membership, -_losses(model, X[:600], digits.target[:600]))
    assert results["attacks"][0]["auc"] == pytest.approx(expected, abs=1e-6)
    assert results["target"]["train_accuracy"] == model.score(X[:300],
                                                              digits.target[:300])


def test_dry_run_plans_a_file_target_without_duplicate_pool_records(
        tmp_path, digits, capsys):
    X = _flat_files(tmp_path, digits)
    model = LogisticRegression(max_iter=50).fit(X[:300], digits.target[:300])
    skops.io.dump(model, tmp_path / "model.skops")
    argv = ["run", "--output", str(tmp_path / "out"), "--dry-run"]
    for item in (f"target.from_file={tmp_path / 'model.skops'}",
                 f"split.members={tmp_path / 'members.npz'}",
                 f"split.non_members={tmp_path / 'non_members.npz'}"):
        argv += ["--set", item]
    assert main(argv) == 0
    plan = capsys.readouterr().out
    # the 600 audited records are digits records: the pool holds each once
    assert "300 members, 300 non-members, shadow pool of 1797 records" in plan
    assert f"target: loaded from {tmp_path / 'model.skops'}" in plan
    assert not (tmp_path / "out").exists()


def test_skops_untrusted_type_is_refused_by_name(tmp_path, digits):
    X = _flat_files(tmp_path, digits)
    model = make_pipeline(FunctionTransformer(operator.neg), LogisticRegression())
    skops.io.dump(model.fit(X[:300], digits.target[:300]), tmp_path / "model.skops")
    config = _config(tmp_path, tmp_path / "model.skops", tmp_path / "members.npz",
                     tmp_path / "non_members.npz")
    with pytest.raises(ConfigError, match=r"_operator\.neg.*target\.trusted"):
        run_experiment(config, output=tmp_path / "run", quiet=True)
    # named in target.trusted, the same file loads
    config["target"]["trusted"] = ["_operator.neg"]
    results = run_experiment(config, output=tmp_path / "run", quiet=True)
    assert results["attacks"][0]["auc"] > 0.5


def _state_dict_run(tmp_path, digits):
    members, non_members = np.arange(0, 300), np.arange(300, 600)
    np.save(tmp_path / "members.npy", members)
    np.save(tmp_path / "non_members.npy", non_members)
    net = make_target("small_cnn", n_classes=10, in_channels=1, max_epochs=5,
                      random_state=0).fit(digits.data[members], digits.target[members])
    return net, members, non_members


def test_state_dict_is_audited(tmp_path, digits):
    net, members, non_members = _state_dict_run(tmp_path, digits)
    torch.save(net.module_.state_dict(), tmp_path / "model.pt")
    config = _config(tmp_path, tmp_path / "model.pt", tmp_path / "members.npy",
                     tmp_path / "non_members.npy")
    results = run_experiment(config, output=tmp_path / "run", quiet=True)
    assert results["target"]["train_accuracy"] == pytest.approx(
        float(np.mean(net.predict(digits.data[members]) == digits.target[members])))
    assert results["target"]["test_accuracy"] == pytest.approx(
        float(np.mean(net.predict(digits.data[non_members])
                      == digits.target[non_members])))
    assert json.loads((tmp_path / "run" / "results.json").read_text())["attacks"]


def test_state_dict_with_an_unexpected_key_is_refused(tmp_path, digits):
    net, _, _ = _state_dict_run(tmp_path, digits)
    state = net.module_.state_dict()
    state["extra.weight"] = torch.zeros(3)
    torch.save(state, tmp_path / "model.pt")
    config = _config(tmp_path, tmp_path / "model.pt", tmp_path / "members.npy",
                     tmp_path / "non_members.npy")
    with pytest.raises(ConfigError, match=r"unexpected keys \['extra\.weight'\]"):
        run_experiment(config, output=tmp_path / "run", quiet=True)


class _Payload:
    """Unpickling this creates ``path``: proof that a pickle was loaded."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.mark.parametrize("model_name, members_name", [
    ("model.pt", "members.npy"),     # a pickle posing as a state dict
    ("model.skops", "members.npy"),  # ... as a skops file
    ("model.pt", "members.npz"),     # a pickled members file
])
def test_malicious_pickle_is_never_loaded(tmp_path, digits, model_name,
                                          members_name):
    marker = tmp_path / "pwned"
    evil = pickle.dumps(_Payload(marker))
    np.save(tmp_path / "non_members.npy", np.arange(300, 600))
    np.save(tmp_path / "members.npy", np.arange(300))
    net, _, _ = _state_dict_run(tmp_path, digits)
    torch.save(net.module_.state_dict(), tmp_path / "model.pt")
    (tmp_path / model_name).write_bytes(evil)
    if members_name == "members.npz":
        np.save(tmp_path / "members.npy", np.array([_Payload(marker)], dtype=object),
                allow_pickle=True)
        (tmp_path / "members.npz").write_bytes((tmp_path / "members.npy").read_bytes())
    config = _config(tmp_path, tmp_path / model_name, tmp_path / members_name,
                     tmp_path / "non_members.npy")
    with pytest.raises((ConfigError, ValueError)):
        run_experiment(config, output=tmp_path / "run", quiet=True)
    assert not marker.exists()


@pytest.mark.parametrize("override, match", [
    ("target.from_file=model.pt", r"split\.members: required with target\.from_file"),
    ("split.members=m.npy", r"split\.members: only for a target loaded from a file"),
    ("target.trusted=numpy.ndarray", r"target\.trusted: expected a list"),
])
def test_from_file_keys_are_checked(override, match):
    assert_config_error(override, match)


@pytest.mark.parametrize("files", ["npy", "npz"])
def test_overlapping_members_and_non_members_are_refused(tmp_path, digits, files):
    X = _flat_files(tmp_path, digits)
    model = LogisticRegression(max_iter=100).fit(X[:300], digits.target[:300])
    skops.io.dump(model, tmp_path / "model.skops")
    if files == "npy":  # records 250-299 listed on both sides
        np.save(tmp_path / "members.npy", np.arange(0, 300))
        np.save(tmp_path / "non_members.npy", np.arange(250, 600))
    else:
        np.savez(tmp_path / "members.npz", X=X[:300], y=digits.target[:300])
        np.savez(tmp_path / "non_members.npz", X=X[250:600], y=digits.target[250:600])
    config = _config(tmp_path, tmp_path / "model.skops", tmp_path / f"members.{files}",
                     tmp_path / f"non_members.{files}")
    with pytest.raises(ConfigError, match=r"split\.non_members: 50 of its records are "
                                          r"also in split\.members"):
        run_experiment(config, output=tmp_path / "run", quiet=True)
