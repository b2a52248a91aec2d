"""Tests of MembershipRocDisplay."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402
from sklearn.base import BaseEstimator, ClassifierMixin  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.metrics import roc_auc_score, roc_curve  # noqa: E402

from skmia.plotting import MembershipRocDisplay  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def data():
    rng = np.random.RandomState(0)
    membership = np.repeat([1, 0], [300, 200])
    scores = rng.normal(loc=membership)
    return membership, scores


class _ScoreAttack(ClassifierMixin, BaseEstimator):
    """Minimal attack: the score is the first column of the records."""

    def fit(self, records, membership):
        self.classes_ = np.array([0, 1])
        return self

    def decision_function(self, records):
        return np.asarray(records)[:, 0] * 2.0


def test_from_predictions_line_is_clipped_roc_curve(data):
    membership, scores = data
    display = MembershipRocDisplay.from_predictions(membership, scores, name="loss")
    fpr, tpr, _ = roc_curve(membership, scores, drop_intermediate=False)
    # Zero rates are drawn at half the smallest positive rate: 1 / (2 n).
    expected_fpr = np.where(fpr == 0, 1 / (2 * 200), fpr)
    expected_tpr = np.where(tpr == 0, 1 / (2 * 300), tpr)
    assert_allclose(display.line_.get_xdata(), expected_fpr)
    assert_allclose(display.line_.get_ydata(), expected_tpr)
    assert_allclose(display.fpr, fpr)
    assert_allclose(display.tpr, tpr)
    assert display.roc_auc == pytest.approx(roc_auc_score(membership, scores))


def test_axes_are_log_scaled_with_labels_and_limits(data):
    membership, scores = data
    display = MembershipRocDisplay.from_predictions(membership, scores)
    ax = display.ax_
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_xlabel() == "False Positive Rate"
    assert ax.get_ylabel() == "True Positive Rate"
    assert_allclose(ax.get_xlim(), (1 / 400, 1))
    assert_allclose(ax.get_ylim(), (1 / 600, 1))
    assert display.figure_ is ax.figure
    # All drawn points are positive, so none is lost on log axes.
    assert np.all(display.line_.get_xdata() > 0)
    assert np.all(display.line_.get_ydata() > 0)


def test_legend_shows_name_and_auc(data):
    membership, scores = data
    display = MembershipRocDisplay.from_predictions(membership, scores, name="loss")
    auc = roc_auc_score(membership, scores)
    label = f"loss (AUC = {auc:0.2f})"
    assert display.line_.get_label() == label
    legend_texts = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert label in legend_texts
    assert "Chance level" in legend_texts


def test_chance_level(data):
    membership, scores = data
    display = MembershipRocDisplay.from_predictions(membership, scores)
    chance = display.chance_level_
    assert chance in display.ax_.lines
    assert_allclose(chance.get_xdata(), chance.get_ydata())
    assert chance.get_xdata()[-1] == 1
    assert chance.get_xdata()[0] <= 1 / 400
    assert chance.get_linestyle() == "--"

    styled = MembershipRocDisplay.from_predictions(
        membership, scores, chance_level_kw={"c": "red", "ls": ":"}
    )
    assert styled.chance_level_.get_color() == "red"
    assert styled.chance_level_.get_linestyle() == ":"

    absent = MembershipRocDisplay.from_predictions(
        membership, scores, plot_chance_level=False
    )
    assert absent.chance_level_ is None
    assert len(absent.ax_.lines) == 1


def test_two_curves_on_one_axes(data):
    membership, scores = data
    first = MembershipRocDisplay.from_predictions(membership, scores, name="strong")
    rng = np.random.RandomState(1)
    membership2 = np.repeat([1, 0], 1000)
    second = MembershipRocDisplay.from_predictions(
        membership2, rng.normal(size=2000), name="random", ax=first.ax_
    )
    ax = first.ax_
    assert second.ax_ is ax
    assert second.figure_ is first.figure_
    # Two curves and one shared chance level line.
    assert len(ax.lines) == 3
    assert second.chance_level_ is first.chance_level_
    legend_texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(t.startswith("strong (AUC = ") for t in legend_texts)
    assert any(t.startswith("random (AUC = ") for t in legend_texts)
    assert legend_texts.count("Chance level") == 1
    # Limits widen to the smaller floor of the larger audit.
    assert ax.get_xlim()[0] == pytest.approx(1 / 2000)
    assert first.chance_level_.get_xdata()[0] <= 1 / 2000
    assert ax.get_xscale() == "log"


def test_plot_from_constructor_and_name_override():
    fpr = np.array([0.0, 0.0, 0.5, 1.0])
    tpr = np.array([0.0, 0.5, 1.0, 1.0])
    display = MembershipRocDisplay(fpr=fpr, tpr=tpr, roc_auc=0.875, name="a")
    assert display.plot() is display
    assert display.line_.get_label() == "a (AUC = 0.88)"
    assert_allclose(display.line_.get_xdata(), [0.25, 0.25, 0.5, 1.0])
    assert_allclose(display.line_.get_ydata(), [0.25, 0.5, 1.0, 1.0])
    display.plot(name="b", color="green", lw=3)
    assert display.line_.get_label() == "b (AUC = 0.88)"
    assert display.line_.get_color() == "green"
    assert display.line_.get_linewidth() == 3
    assert (
        MembershipRocDisplay(fpr=fpr, tpr=tpr).plot().line_.get_label().startswith("_")
    )


def test_plot_rejects_mismatched_curve():
    display = MembershipRocDisplay(fpr=[0, 0.5, 1], tpr=[0, 1])
    with pytest.raises(ValueError, match="same length"):
        display.plot()


def test_from_estimator(data):
    membership, scores = data
    records = scores[:, None]
    attack = _ScoreAttack().fit(records, membership)
    display = MembershipRocDisplay.from_estimator(attack, records, membership)
    assert display.name == "_ScoreAttack"
    assert display.line_.get_label().startswith("_ScoreAttack (AUC = ")
    fpr, tpr, _ = roc_curve(membership, 2 * scores, drop_intermediate=False)
    assert_allclose(display.fpr, fpr)
    assert_allclose(display.tpr, tpr)

    named = MembershipRocDisplay.from_estimator(
        attack, records, membership, name="mine", ax=display.ax_
    )
    assert named.line_.get_label().startswith("mine (AUC = ")
    assert len(display.ax_.lines) == 3


def test_from_estimator_errors(data):
    membership, scores = data
    records = scores[:, None]
    with pytest.raises(NotFittedError):
        MembershipRocDisplay.from_estimator(_ScoreAttack(), records, membership)

    class NoScores(BaseEstimator):
        def fit(self, records, membership):
            self.fitted_ = True
            return self

    with pytest.raises(TypeError, match="decision_function"):
        MembershipRocDisplay.from_estimator(
            NoScores().fit(records, membership), records, membership
        )


def test_from_predictions_validates_input():
    with pytest.raises(ValueError, match="both members"):
        MembershipRocDisplay.from_predictions([1, 1, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="NaN"):
        MembershipRocDisplay.from_predictions([0, 1, 1], [0.1, np.nan, 0.3])
