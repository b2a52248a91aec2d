"""Training throughput: skmia's targets vs. stock skorch vs. a plain PyTorch loop.

Trains the same :class:`skmia.targets.SmallCNN` (or, with ``--arch mlp``, the
same :class:`skmia.targets.MLP`; same initial weights, same data, Adam,
learning rate, batch size and number of epochs) three ways:

- ``make_target``: :class:`skmia.targets.TensorNeuralNetClassifier`, batches
  sliced from in-memory tensors;
- ``skorch default``: stock :class:`skorch.NeuralNetClassifier`, whose
  DataLoader fetches samples one by one and collates them;
- ``plain loop``: a hand-written loop (``randperm``, tensor slicing, Adam),
  the speed to match.

A warm-up epoch is run and not timed; each way is then timed ``--repeats``
times (interleaved) and the fastest run is reported, as samples per second.
Prediction on the training set (``predict_proba``; the plain loop runs the
module under ``torch.no_grad`` in chunks of ``make_target``'s evaluation
batch size) is timed the same way.
Run it on a quiet machine::

    python benchmarks/bench_training.py --data fashion --epochs 3
"""

import argparse
import copy
import time

import numpy as np
import skorch
import torch
import torch.nn.functional as F

from _common import load_images, markdown_table, print_environment
from skmia.targets import MLP, SmallCNN, make_target


def module_params(X, args):
    """The module class and its keyword arguments."""
    if args.arch == "mlp":
        return MLP, {"n_classes": 10, "in_features": int(np.prod(X.shape[1:]))}
    return SmallCNN, {"n_classes": 10, "in_channels": X.shape[1]}


def train_make_target(X, y, init, args):
    module, params = module_params(X, args)
    net = make_target(
        module,
        **params,
        lr=args.lr,
        batch_size=args.batch_size,
        max_epochs=1,
        random_state=0,
    )
    return time_partial_fit(net, X, y, init, args.epochs)


def train_skorch_default(X, y, init, args):
    module, params = module_params(X, args)
    net = skorch.NeuralNetClassifier(
        module,
        **{f"module__{key}": value for key, value in params.items()},
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=args.lr,
        batch_size=args.batch_size,
        max_epochs=1,
        train_split=None,
        iterator_train__shuffle=True,
        verbose=0,
    )
    return time_partial_fit(net, X, y, init, args.epochs)


def time_partial_fit(net, X, y, init, epochs):
    """Seconds for ``epochs`` epochs of ``net`` from weights ``init``, after a
    warm-up epoch; and its ``predict_proba``."""
    net.initialize()
    net.module_.load_state_dict(init)
    net.partial_fit(X, y)  # warm-up epoch
    start = time.perf_counter()
    net.partial_fit(X, y, epochs=epochs)
    return time.perf_counter() - start, net.predict_proba


def train_plain_loop(X, y, init, args):
    X, y = torch.as_tensor(X), torch.as_tensor(y)
    module, params = module_params(X, args)
    model = module(**params)
    model.load_state_dict(init)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)

    def run(epochs):
        model.train()
        for _ in range(epochs):
            total = 0.0
            order = torch.randperm(len(X))
            for start in range(0, len(X), args.batch_size):
                idx = order[start : start + args.batch_size]
                loss = F.cross_entropy(model(X[idx]), y[idx])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item()

    def predict_proba(X):
        model.eval()
        X, size = torch.as_tensor(X), args.eval_batch_size
        with torch.no_grad():
            chunks = [model(X[i : i + size]).softmax(1) for i in range(0, len(X), size)]
        return torch.cat(chunks).numpy()

    run(1)  # warm-up epoch
    start = time.perf_counter()
    run(args.epochs)
    return time.perf_counter() - start, predict_proba


METHODS = {
    "make_target": train_make_target,
    "skorch default": train_skorch_default,
    "plain loop": train_plain_loop,
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=["fashion", "digits"], default="fashion")
    parser.add_argument("--arch", choices=["small_cnn", "mlp"], default="small_cnn")
    parser.add_argument("--n-samples", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--repeats", type=int, default=3, help="best of")
    return parser.parse_args()


def best_times(X, y, init, args):
    """Per method: best fit seconds, best predict seconds, training accuracy."""
    fit_best = {method: float("inf") for method in METHODS}
    predict_best = dict(fit_best)
    accuracy = {}
    for _ in range(args.repeats):
        for method, train in METHODS.items():
            torch.manual_seed(1)
            seconds, predict_proba = train(X, y, init, args)
            fit_best[method] = min(fit_best[method], seconds)
            for _ in range(2):
                start = time.perf_counter()
                proba = predict_proba(X)
                seconds = time.perf_counter() - start
                predict_best[method] = min(predict_best[method], seconds)
            accuracy[method] = float(np.mean(proba.argmax(1) == y))
    return fit_best, predict_best, accuracy


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    # The plain loop predicts in batches as large as make_target's.
    default_net = make_target("mlp", n_classes=10, in_features=1)
    args.eval_batch_size = default_net.iterator_valid__batch_size
    name, X, y = load_images(args.data, args.n_samples)
    print_environment()
    print(
        f"data {name}: X {X.shape} {X.dtype}, {len(np.unique(y))} classes; "
        f"{args.arch}, Adam lr={args.lr}, batch_size={args.batch_size}, "
        f"{args.epochs} timed epochs after 1 warm-up epoch, best of {args.repeats}; "
        f"predict in batches of {args.eval_batch_size}; device cpu"
    )
    torch.manual_seed(0)
    module, params = module_params(X, args)
    init = copy.deepcopy(module(**params).state_dict())

    fit_best, predict_best, accuracy = best_times(X, y, init, args)
    fit_rate = {m: len(X) * args.epochs / s for m, s in fit_best.items()}
    predict_rate = {m: len(X) / s for m, s in predict_best.items()}
    print()
    print(markdown_table(
        ["method", "fit s", "fit samples/s", "predict samples/s", "train acc"],
        [(method, f"{fit_best[method]:.2f}", f"{fit_rate[method]:.0f}",
          f"{predict_rate[method]:.0f}", f"{accuracy[method]:.3f}")
         for method in METHODS]))
    print()
    for other in ("plain loop", "skorch default"):
        fit_ratio = fit_rate["make_target"] / fit_rate[other]
        predict_ratio = predict_rate["make_target"] / predict_rate[other]
        print(
            f"make_target / {other:<15}: fit {fit_ratio:.2f}x, "
            f"predict {predict_ratio:.2f}x"
        )


if __name__ == "__main__":
    main()
