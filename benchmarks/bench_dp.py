"""Cost of differential privacy: DP-SGD epoch time and memory vs. non-private training.

Trains the same :class:`skmia.targets.SmallCNN` (same initial weights, data,
optimizer, learning rate, batch size and number of epochs) two ways:

- ``make_target``: the non-private :class:`skmia.targets.TensorNeuralNetClassifier`
  (shuffled batches of ``--batch-size``);
- ``DPNeuralNetClassifier``: DP-SGD through Opacus (per-sample gradients,
  clipping, noise, Poisson batches of expected size ``--batch-size``, RDP
  accounting).

Each way runs in its own fresh Python process, so that memory peaks do not
mix: one warm-up epoch (not timed), then ``--epochs`` timed epochs. Epoch
time is the median of skorch's per-epoch ``dur`` over the timed epochs (the
DP net's end-of-training epsilon computation is reported separately, as
part of the whole ``partial_fit`` call). The processes alternate
``--repeats`` times and the fastest epoch time is kept.

Memory is the peak resident set size (RSS) of the process while the timed
epochs run, minus its RSS just before them: Linux's ``VmHWM`` is reset by
writing ``5`` to ``/proc/self/clear_refs`` before timing, and read from
``/proc/self/status`` after. RSS covers NumPy and torch's CPU allocator alike
(torch keeps no allocator statistics on the CPU). Run it on a quiet machine::

    python benchmarks/bench_dp.py                   # Fashion-MNIST, 10k images
    python benchmarks/bench_dp.py --data digits     # scikit-learn's digits
"""

import argparse
import json
import statistics
import subprocess
import sys
import time

import numpy as np

from _common import load_images, markdown_table, print_environment

METHODS = ("make_target", "DPNeuralNetClassifier")


def _status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


def _reset_peak_rss():
    """Reset VmHWM to the current RSS; False where the kernel does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def worker(args):
    """Train one way in this process; print a JSON line of measurements."""
    import torch

    from skmia.defenses import DPNeuralNetClassifier
    from skmia.targets import SmallCNN, make_target

    torch.set_num_threads(args.threads)
    _, X, y = load_images(args.data, args.n_samples)
    training = dict(
        optimizer=torch.optim.Adam,
        lr=args.lr,
        batch_size=args.batch_size,
        max_epochs=1,
        train_split=None,
        verbose=0,
        iterator_valid__batch_size=4096,
        random_state=0,
    )
    if args.worker == "make_target":
        net = make_target(SmallCNN, n_classes=10, in_channels=X.shape[1], **training)
    else:
        net = DPNeuralNetClassifier(
            SmallCNN,
            module__n_classes=10,
            module__in_channels=X.shape[1],
            noise_multiplier=args.noise_multiplier,
            max_grad_norm=args.max_grad_norm,
            target_delta=1 / (10 * len(X)),
            **training,
        )
    net.initialize()
    torch.manual_seed(0)
    net.module_.load_state_dict(SmallCNN(10, X.shape[1]).state_dict())
    net.partial_fit(X, y)  # warm-up epoch

    reset = _reset_peak_rss()
    rss_before = _status_kib("VmRSS")
    start = time.perf_counter()
    net.partial_fit(X, y, epochs=args.epochs)
    fit_seconds = time.perf_counter() - start
    peak = _status_kib("VmHWM") if reset else None
    durations = net.history[-args.epochs:, "dur"]
    result = {
        "method": args.worker,
        "epoch_s": statistics.median(durations),
        "fit_s": fit_seconds,
        "steps_per_epoch": net.history[-1, "train_batch_count"],
        "peak_rss_delta_mib": None if peak is None else (peak - rss_before) / 1024,
        "rss_before_mib": rss_before / 1024,
        "train_accuracy": float(np.mean(net.predict(X) == y)),
    }
    if args.worker == "DPNeuralNetClassifier":
        result["epsilon"] = net.epsilon_
        result["delta"] = net.delta_
        result["sample_rate"] = net.sample_rate_
    print(json.dumps(result))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=["fashion", "digits"], default="fashion")
    parser.add_argument("--n-samples", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--noise-multiplier", type=float, default=1.0)
    parser.add_argument("--max-grad-norm", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--repeats", type=int, default=2, help="best of")
    parser.add_argument("--worker", choices=METHODS, help=argparse.SUPPRESS)
    return parser.parse_args()


def best_of_workers(args):
    """Each way in fresh processes, ``args.repeats`` times: the fastest epoch."""
    passthrough = [
        f"--{key.replace('_', '-')}={value}"
        for key, value in vars(args).items()
        if key not in ("worker", "repeats")
    ]
    best = {}
    for _ in range(args.repeats):
        for method in METHODS:
            out = subprocess.run(
                [sys.executable, __file__, f"--worker={method}", *passthrough],
                check=True, capture_output=True, text=True,
            ).stdout
            result = json.loads(out.strip().splitlines()[-1])
            if method not in best or result["epoch_s"] < best[method]["epoch_s"]:
                best[method] = result
    return best


def print_results(best, args):
    rows = []
    for method in METHODS:
        r = best[method]
        peak = r["peak_rss_delta_mib"]
        rows.append((method, f"{r['epoch_s']:.3f}", r["steps_per_epoch"],
                     f"{r['fit_s']:.2f}", "n/a" if peak is None else f"{peak:.1f}",
                     f"{r['train_accuracy']:.3f}"))
    print()
    print(markdown_table(["method", "epoch s", "steps", "fit s", "peak RSS +MiB",
                          "train acc"], rows))
    dp, plain = best["DPNeuralNetClassifier"], best["make_target"]
    print()
    print(
        f"DP / non-private epoch time: {dp['epoch_s'] / plain['epoch_s']:.2f}x "
        f"(aim: <= 3x)"
    )
    if dp["peak_rss_delta_mib"] is not None:
        print(
            f"peak RSS growth while training: DP {dp['peak_rss_delta_mib']:.1f} MiB, "
            f"non-private {plain['peak_rss_delta_mib']:.1f} MiB "
            "(VmHWM - VmRSS from /proc/self/status, per fresh process)"
        )
    print(
        f"DP guarantee after {args.epochs + 1} epochs: epsilon = {dp['epsilon']:.2f} "
        f"at delta = {dp['delta']:.0e} (RDP), sample rate {dp['sample_rate']:.4f}"
    )


def main():
    args = parse_args()
    if args.worker:
        return worker(args)

    import opacus

    name, X, y = load_images(args.data, args.n_samples)
    print_environment(opacus=opacus.__version__)
    print(
        f"data {name}: X {X.shape} {X.dtype}; SmallCNN, Adam lr={args.lr}, "
        f"batch_size={args.batch_size} (DP: expected, Poisson), "
        f"noise_multiplier={args.noise_multiplier}, "
        f"max_grad_norm={args.max_grad_norm}; {args.epochs} timed epochs after "
        f"1 warm-up epoch, each way in a fresh process, best of {args.repeats}; "
        f"device cpu, {args.threads} torch thread(s) per process"
    )
    print_results(best_of_workers(args), args)


if __name__ == "__main__":
    main()
