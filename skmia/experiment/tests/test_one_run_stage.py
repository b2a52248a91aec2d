"""``audit: {kind: one_run}``: one more training run, its epsilon in the report."""

import json

import pytest

from skmia.experiment import load_config, run_experiment
from skmia.metrics import one_run_epsilon

from ._fixtures import FAST_TARGET, assert_config_error

# A narrow MLP on digits and a threshold attack with a user threshold (no
# shadow models), so the only models trained are the target and the audit's.
FAST = FAST_TARGET + [
    "metrics.n_bootstraps=50",
    "attacks=[{name: threshold, signal: loss, threshold: 1.0}]",
    "audit.kind=one_run",
    "audit.n_canaries=100",
]


def _count_fits(monkeypatch):
    """Count training runs of skmia's networks (the target and the audit's)."""
    from skmia.targets import TensorNeuralNetClassifier

    calls = []
    original = TensorNeuralNetClassifier.fit

    def fit(self, *args, **kwargs):
        calls.append(type(self).__name__)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(TensorNeuralNetClassifier, "fit", fit)
    return calls


def test_one_run_audit_of_a_dp_target_sits_below_its_claim(tmp_path, monkeypatch):
    fits = _count_fits(monkeypatch)
    config = load_config(None, FAST + ["target.defense.kind=dp",
                                       "target.defense.params.noise_multiplier=1.0",
                                       "target.defense.params.max_grad_norm=1.0"])
    results = run_experiment(config, output=tmp_path, quiet=True)
    audit = results["one_run_audit"]
    assert len(fits) == 2  # the target, then the audit's single training run
    assert audit["n_canaries"] == 100 and audit["canaries"] == "mislabeled"
    assert 0 < audit["n_guesses"] <= 100 and 0 <= audit["n_correct"] <= audit["n_guesses"]
    assert audit["delta"] == pytest.approx(results["target"]["delta"])
    assert 0 <= audit["epsilon_lower_bound"] < audit["epsilon_claimed"]
    # the bound is one_run_epsilon of the reported counts (at most 15 count
    # pairs are tried, so each at confidence 1 - 0.05 / 15: never above the
    # bound at 95% for the same counts)
    plain = one_run_epsilon(audit["n_correct"], audit["n_guesses"], 100,
                            delta=audit["delta"], confidence=0.95)
    assert audit["epsilon_lower_bound"] <= plain + 1e-9
    report = (tmp_path / "report.md").read_text()
    assert "claimed epsilon (accountant)" in report
    assert f"{audit['n_correct']} of {audit['n_guesses']} guesses right" in report
    assert "Claimed epsilon vs. epsilon shown in one run" in (
        tmp_path / "report.html").read_text()
    assert json.loads((tmp_path / "results.json").read_text())["one_run_audit"] == {
        **audit}


def test_one_run_audit_reruns_from_the_cache(tmp_path, monkeypatch):
    config = load_config(None, FAST)
    first = run_experiment(config, output=tmp_path / "a", quiet=True)
    assert first["one_run_audit"]["epsilon_claimed"] is None
    assert "no privacy claim" in (tmp_path / "a" / "report.md").read_text()
    fits = _count_fits(monkeypatch)
    again = load_config(None, FAST + [f"shadows.cache={tmp_path / 'a' / 'cache'}",
                                      "metrics.n_bootstraps=60"])
    second = run_experiment(again, output=tmp_path / "b", quiet=True)
    assert fits == []  # target and audit both come from the cache
    assert second["one_run_audit"]["cached"] is True
    assert second["one_run_audit"]["epsilon_lower_bound"] == \
        first["one_run_audit"]["epsilon_lower_bound"]


def test_no_audit_by_default(tmp_path):
    config = load_config(None, FAST[:-2])
    assert run_experiment(config, output=tmp_path, quiet=True)["one_run_audit"] is None
    assert "Privacy claim" not in (tmp_path / "report.md").read_text()


@pytest.mark.parametrize("override, match", [
    ("audit.kind=one_runs", r"audit\.kind: unknown value 'one_runs'"),
    ("audit.n_canaries=1", r"audit\.n_canaries: must be an integer of at least 2"),
    ("audit.n_canaries=1.5", r"audit\.n_canaries"),
    ("audit.canaries=flipped", r"audit\.canaries: unknown value"),
    ("audit.confidence=1", r"audit\.confidence: must be a number in \(0, 1\)"),
    ("audit.delta=-0.1", r"audit\.delta"),
    ("audit.n_canary=10", r"audit\.n_canary: unknown key; did you mean 'n_canaries'"),
])
def test_bad_audit_settings_are_named(override, match):
    assert_config_error(override, match)


def test_too_many_canaries_name_the_parameter(tmp_path):
    config = load_config(None, FAST[:-1] + ["audit.n_canaries=500"])
    with pytest.raises(ValueError, match="n_canaries=500 is larger than the data"):
        run_experiment(config, output=tmp_path, quiet=True)
