"""Descriptions shared by the attacks' docstrings, written once."""

from ..utils import fill_doc

_shared_docs = {
    "target": """target : fitted classifier
        The model under audit: any fitted object with ``predict_proba``
        (a scikit-learn classifier, a skorch net). For skorch classifiers
        trained with cross-entropy the logits are read directly. It is never
        refitted, and :func:`~sklearn.base.clone` keeps it.""",
    "top_k": """top_k : int, default=None
        Keep only the ``top_k`` largest probabilities of the
        ``"sorted_proba"`` feature (Shokri et al. used 3); ``None`` keeps
        all of them. Other features are unaffected.""",
    "estimator_random_state": """random_state : int, RandomState instance or None, \
            default=None
        Seeds the attack classifier(s): every ``random_state`` parameter of
        the classifier (nested ones too, e.g. in a
        :class:`~sklearn.pipeline.Pipeline`) that is ``None`` is set to a
        seed drawn from this in ``fit``; seeds set explicitly are kept.
        Pass an int for reproducible results.
        See :term:`Glossary <random_state>`.""",
    "shadow_models": """shadow_models : ShadowModels, default=None
        A fitted :class:`~skmia.shadow.ShadowModels` trained like the target,
        to use as is so that one ensemble serves many attacks: it is neither
        cloned nor refitted, and :func:`~sklearn.base.clone` of the attack
        keeps it; see :meth:`fit` for the records its pool must hold.
        ``None`` trains shadows on the records passed to ``fit``.""",
    "n_jobs": """n_jobs : int, default=None
        Number of shadow models trained in parallel; see
        :class:`~skmia.shadow.ShadowModels`. Results do not depend on it.
        Ignored with ``shadow_models``.""",
    "random_state": """random_state : int, RandomState instance or None, \
            default=None
        Draws the seed of the shadow models the attack trains (their IN/OUT
        halves and training seeds). The same draws are made whether or not
        ``shadow_models`` is given. See :term:`Glossary <random_state>`.""",
    "memory": """memory : str, path or joblib.Memory, default=None
        Where the shadow models checkpoint their results, so a rerun reuses
        them; see :class:`~skmia.shadow.ShadowModels`. Ignored with
        ``shadow_models``.""",
    "verbose": """verbose : int, default=0
        Show a progress bar over shadow models when positive.""",
    "shadow_attributes": """classes_ : ndarray of shape (2,)
        ``[0, 1]``: non-member, member.
    shadow_models_ : ShadowModels
        The shadows: ``shadow_models`` itself when given, else those trained
        by ``fit``.""",
    "fit_records": """records : Records or None
            Without ``shadow_models``: the pool, records from the target's
            distribution that include the records you will score (as in
            Carlini et al.); the shadows are trained on random halves of it,
            so each record is IN for half of them. With ``shadow_models``:
            ``None``, or records of its pool (checked with
            :meth:`~skmia.shadow.ShadowModels.locate`).
        y : None
            Ignored: the shadows provide the IN/OUT labels. Accepted so that
            :func:`~sklearn.model_selection.cross_val_score` and
            :class:`~sklearn.model_selection.GridSearchCV` can pass
            membership labels for scoring (use ``shadow_models=`` fitted on
            all the records there, so that every fold's records are in the
            shadows' pool).""",
    "score_parameters": """Parameters
        ----------
        records : Records
            The records to score.""",
    "decision_returns": """Returns
        -------
        scores : ndarray of shape (n_records,)
            Higher means more likely a member; positive means member.""",
    "unseen": """Records must be in the shadows' pool (same input bytes and
        label, see :meth:`~skmia.shadow.ShadowModels.locate`), where each is
        IN for some shadows and OUT for others. Records outside the pool are
        OUT for every shadow: they can be scored only by attacks that need
        no IN shadows (offline), and only when the shadows kept their models
        (``ShadowModels(keep_models=True)``), which are then queried on
        them; otherwise they are an error.""",
    # The set-ups of the class Examples: a pool of records (the shadow
    # attacks') or records of known membership from make_membership_split.
    "pool_example": """A random forest memorises a random half of a pool of 200 digits:

    >>> import numpy as np
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skmia import Records
    >>> from skmia.datasets import load_digits_images
    >>> digits = load_digits_images()
    >>> rng = np.random.RandomState(0)
    >>> take = rng.choice(len(digits.data), 200, replace=False)
    >>> pool = Records(digits.data[take].reshape(200, -1), digits.target[take])
    >>> members = rng.permutation(200)[:100]
    >>> membership = np.isin(np.arange(200), members).astype(int)
    >>> target = RandomForestClassifier(n_estimators=30, random_state=0).fit(
    ...     pool.X[members], pool.y[members])""",
    "split_example": """A random forest trained on 200 digits
    (``split.target_in``), audited on them and 200 others
    (``split.target_out``):

    >>> import numpy as np
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skmia import Records
    >>> from skmia.datasets import load_digits_images, make_membership_split
    >>> digits = load_digits_images()
    >>> X = digits.data.reshape(len(digits.data), -1)
    >>> split = make_membership_split(X, digits.target, n_target=200, random_state=0)
    >>> target = RandomForestClassifier(random_state=0).fit(
    ...     split.target_in.X, split.target_in.y)
    >>> records = Records(np.concatenate([split.target_in.X, split.target_out.X]),
    ...                   np.concatenate([split.target_in.y, split.target_out.y]))
    >>> membership = np.r_[np.ones(200), np.zeros(200)]""",
}

#: Decorator filling the texts above into an attack's docstrings (a class's
#: own and its methods').
_fill_doc = fill_doc(_shared_docs)
