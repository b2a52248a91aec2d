"""scikit-learn's own estimator checks on what can take them."""

from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

from skmia.model_selection import AuditedClassifier

EXPECTED_FAILED = {
    AuditedClassifier: {
        "check_classifiers_classes": (
            "string class labels are refused: the attack indexes the target's "
            "outputs with integer labels (encode them first)"
        ),
    },
}


@parametrize_with_checks(
    [AuditedClassifier(LogisticRegression(), n_members=50, random_state=0)],
    expected_failed_checks=lambda est: EXPECTED_FAILED.get(type(est), {}),
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
