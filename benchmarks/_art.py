"""IBM ART's side of ``bench_shadows.py``: its shadow models and black-box attack.

``run_art`` trains ART's ``ShadowModels`` with the target's recipe on the
attacker's pool, fits ``MembershipInferenceBlackBox`` on their outputs and
scores the evaluation records, timing each phase. ART is imported inside
the functions, so ``bench_shadows.py`` runs without it.
"""

import time
import warnings

import numpy as np
import torch

from skmia.targets import SmallCNN


def art_recipe_classifier(batch_size, nb_epochs):
    """A PyTorchClassifier whose ``fit`` defaults to the target's recipe.

    ART's ``ShadowModels.generate_shadow_dataset`` calls ``model.fit(x, y)``
    with no training arguments, so its shadows would train with
    ``PyTorchClassifier.fit``'s defaults (10 epochs, batch size 128) whatever
    the target's recipe. ``clone_for_refitting`` builds ``type(self)(...)``,
    so a subclass carries the recipe to every shadow.
    """
    from art.estimators.classification import PyTorchClassifier

    class RecipePyTorchClassifier(PyTorchClassifier):
        def fit(self, x, y, batch_size=batch_size, nb_epochs=nb_epochs, **kwargs):
            return super().fit(x, y, batch_size=batch_size, nb_epochs=nb_epochs, **kwargs)

    return RecipePyTorchClassifier


def run_art(target, pool, eval_records, args):
    from art.attacks.inference.membership_inference import (
        MembershipInferenceBlackBox,
        ShadowModels as ARTShadowModels,
    )
    from art.estimators.classification import PyTorchClassifier

    input_shape = tuple(pool.X.shape[1:])
    n_classes = 10
    # ART has no seed for shadow initialisation, shuffling or the attack
    # model: seed the global generators it draws from.
    torch.manual_seed(0)
    np.random.seed(0)
    start = time.perf_counter()
    # The target as ART sees it (its module, already trained by skorch).
    art_target = PyTorchClassifier(
        model=target.module_, loss=torch.nn.CrossEntropyLoss(),
        input_shape=input_shape, nb_classes=n_classes,
        optimizer=torch.optim.Adam(target.module_.parameters(), lr=args.lr),
        device_type="cpu",
    )
    # The shadow template: a fresh module with the target's recipe.
    module = SmallCNN(n_classes=n_classes, in_channels=input_shape[0])
    template = art_recipe_classifier(args.batch_size, args.epochs)(
        model=module, loss=torch.nn.CrossEntropyLoss(), input_shape=input_shape,
        nb_classes=n_classes, optimizer=torch.optim.Adam(module.parameters(), lr=args.lr),
        device_type="cpu",
    )
    shadows = ARTShadowModels(template, num_shadow_models=args.n_shadows, random_state=0)
    (mx, my, mpred), (nx, ny, npred) = shadows.generate_shadow_dataset(
        pool.X, pool.y, member_ratio=0.5
    )
    t_shadows = time.perf_counter()
    attack = MembershipInferenceBlackBox(
        art_target, input_type="prediction", attack_model_type=args.art_attack_model
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # pred= and test_pred= are required: without them ART silently
        # computes the attack features with the *target* instead of the
        # shadows.
        attack.fit(x=mx, y=my, test_x=nx, test_y=ny, pred=mpred, test_pred=npred)
        t_fit = time.perf_counter()
        scores = attack.infer(eval_records.X, eval_records.y, probabilities=True)
        end = time.perf_counter()
    return {
        "scores": np.asarray(scores).ravel(),
        "total": end - start,
        "phases": {"shadow training (generate_shadow_dataset)": t_shadows - start,
                   "attack model fit": t_fit - t_shadows,
                   "infer": end - t_fit},
        "attack_model": f"attack_model_type={args.art_attack_model!r} "
                        f"({type(attack.attack_model).__name__})",
        "n_attack_rows": len(mpred) + len(npred),
        "warnings": sorted({f"{w.category.__name__}: {str(w.message).splitlines()[0]}"
                            for w in caught}),
    }
