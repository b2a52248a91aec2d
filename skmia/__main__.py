"""The ``skmia`` command line (``skmia run`` or ``python -m skmia run``)."""

import argparse
import sys

EPILOG = """\
examples:
  skmia run                                  the embedded default (digits, small CNN)
  skmia run configs/fashion_mnist_smallcnn.yaml --output runs/fmnist
  skmia run --set shadows.n_models=16 --set target.params.max_epochs=60
  skmia run my.yaml --set target.defense.kind=dp \\
                    --set target.defense.params.noise_multiplier=1.0

A finished run rerun with the same configuration does nothing but reprint its
table; a killed run rerun resumes, reusing the target and every shadow model
that had finished (they are cached in OUTPUT/cache).
"""


def _build_parser():
    parser = argparse.ArgumentParser(
        prog="skmia",
        description="Membership inference audits: how much does a trained model "
        "leak about who was in its training data?",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser(
        "run",
        help="run an experiment from a YAML config (default: the embedded one)",
        description="Load a dataset, split it into the target's members, held-out "
        "non-members and an attacker pool, train the target (with its defense), "
        "train shadow models once, run every configured attack on them, and write "
        "a report folder: results.json, report.md, roc.png, scores.csv, the "
        "resolved config and library versions.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("config", nargs="?", default=None,
                     help="YAML experiment config (omit for the embedded default)")
    run.add_argument("--output", "-o", default=None,
                     help="report folder (default: the config's output, skmia_output)")
    run.add_argument("--set", dest="overrides", action="append", default=[],
                     metavar="KEY=VALUE",
                     help="override a config value, e.g. shadows.n_models=16 "
                     "(repeatable; values are YAML)")
    run.add_argument("--quiet", "-q", action="store_true",
                     help="no progress bars or log lines; print only the table")
    return parser


def main(argv=None):
    args = _build_parser().parse_args(argv)
    from .experiment import ConfigError, load_config, run_experiment
    from .experiment._report import format_sweep_table, format_table

    try:
        config = load_config(args.config, args.overrides)
    except (ConfigError, OSError) as exc:
        print(f"skmia: configuration error: {exc}", file=sys.stderr)
        return 2
    results = run_experiment(config, output=args.output, quiet=args.quiet)
    table = format_sweep_table(results) if "points" in results else format_table(results)
    print(table)
    folder = args.output or config["output"]
    if not args.quiet:
        print(f"\nReport written to {folder}/ (report.md, results.json, roc.png, "
              "scores.csv)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
