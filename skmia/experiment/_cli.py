"""The ``skmia`` command line: ``skmia run``, ``skmia report``, one error path."""

import argparse
import os
import sys
import traceback

__all__ = ["main"]

EPILOG = """\
examples:
  skmia run                                  the embedded default (digits, small CNN)
  skmia run configs/fashion_mnist_smallcnn.yaml --output runs/fmnist
  skmia run configs/cifar10_resnet18.yaml --dry-run    check and show the plan
  skmia run --set shadows.n_models=16 --set target.params.max_epochs=60
  skmia run my.yaml --set target.defense.kind=dp \\
                    --set target.defense.params.noise_multiplier=1.0
  skmia report skmia_output                  reprint a finished run's table

The whole configuration is checked before anything is trained or written.
A finished run rerun with the same configuration does nothing but reprint its
table; a killed or interrupted run rerun resumes, reusing the target and every
shadow model that had finished (they are cached in OUTPUT/cache).

exit status: 0 done, 1 error, 2 usage or configuration, 3 data not found,
4 output folder unusable or in use, 130 interrupted. The traceback of an
error goes to OUTPUT/run.log (and to the terminal with --debug).
"""


def _version():
    from .. import __version__

    return __version__


def _build_parser():
    parser = argparse.ArgumentParser(
        prog="skmia",
        description="Membership inference audits: how much does a trained model "
        "leak about who was in its training data?",
    )
    parser.add_argument("--version", action="version", version=f"skmia {_version()}")
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
    run.add_argument("--dry-run", action="store_true",
                     help="check the config and print the plan (data and sizes, "
                     "models to train and cached, attacks); train nothing")
    run.add_argument("--force", action="store_true",
                     help="run even if the shadow outputs exceed the memory limit")
    run.add_argument("--debug", action="store_true",
                     help="print the traceback of an error, not just its line")
    report = sub.add_parser("report", help="reprint the table of a finished run",
                            description="Print the table of a finished run's "
                            "report folder (its report.md).")
    report.add_argument("folder", help="a report folder written by skmia run")
    return parser


def _usable_folder(folder):
    """Create ``folder`` if needed and check that files can be written in it."""
    from ._cli_errors import OutputError

    if os.path.exists(folder) and not os.path.isdir(folder):
        raise OutputError(f"--output {folder}: exists and is not a folder; choose "
                          "another --output")
    try:
        os.makedirs(folder, exist_ok=True)
        probe = os.path.join(folder, f".skmia-write-test-{os.getpid()}")
        with open(probe, "w"):
            pass
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(f"--output {folder}: cannot write there ({exc.strerror}); "
                          "choose another --output") from None


def _interrupted(config, folder):
    from ._plan import count_finished

    try:
        done, total = count_finished(config, folder)
    except Exception:  # the message must not fail; counting is a courtesy
        return "interrupted; rerun the same command to resume"
    return (f"interrupted after {done} of {total} shadow models; rerun the same "
            "command to resume")


def _run(args, state):
    from . import load_config, run_experiment  # the public names (tests patch them)
    from ._cache_trust import check_cache
    from ._lock import check_unlocked, run_lock
    from ._plan import format_plan, make_plan
    from ._report import format_sweep_table, format_table

    config = load_config(args.config, args.overrides)
    folder = state["folder"] = os.fspath(args.output or config["output"])
    if os.path.exists(folder) and not os.path.isdir(folder):
        _usable_folder(folder)
    if not args.dry_run:
        check_unlocked(folder)  # fail at once, before the checks that load data
    cache = config["shadows"]["cache"] or os.path.join(folder, "cache")
    check_cache(cache, config, create=False)  # refused before anything reads it
    plan = make_plan(config, folder, force=args.force, download=not args.dry_run)
    if args.dry_run:
        print(format_plan(plan, folder))
        return 0
    _usable_folder(folder)
    with run_lock(folder):
        state["logged"] = True  # the run logs its own traceback to run.log
        try:
            results = run_experiment(config, output=folder, quiet=args.quiet)
        except KeyboardInterrupt:
            print(f"skmia: {_interrupted(config, folder)}", file=sys.stderr)
            return 130
    print(format_sweep_table(results) if "points" in results else format_table(results))
    if not args.quiet:
        print(f"\nReport written to {folder}/")
    return 0


def _report(args):
    from ._cli_errors import OutputError

    path = os.path.join(args.folder, "report.md")
    if not os.path.isfile(path):
        raise OutputError(f"{args.folder}: no finished run there (no report.md); "
                          "run skmia run --output FOLDER first")
    with open(path, encoding="utf-8") as f:
        print(f.read().rstrip("\n"))
    return 0


def main(argv=None):
    """Run the ``skmia`` command line (``skmia run``, ``skmia report``).

    Every expected failure prints one line ``skmia: error: ...`` and
    returns its exit status (2 usage or configuration, 3 data not found, 4
    output folder unusable or in use, 1 otherwise; 130 interrupted); the
    traceback goes to the report folder's ``run.log``.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments after ``skmia``; ``None`` reads ``sys.argv``.

    Returns
    -------
    status : int
        The exit status.
    """
    args = _build_parser().parse_args(argv)
    from ._cli_errors import exit_code, log_traceback, one_line

    state = {"folder": None, "logged": False}
    try:
        return _run(args, state) if args.command == "run" else _report(args)
    except KeyboardInterrupt:
        print("skmia: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130
    except Exception as exc:
        code = exit_code(exc)
        print(f"skmia: error: {one_line(exc)}", file=sys.stderr)
        logged = None
        if state["logged"]:
            logged = os.path.join(state["folder"], "run.log")
        elif code not in (2, 4):
            logged = log_traceback(state["folder"], exc)
        if getattr(args, "debug", False):
            traceback.print_exception(exc, file=sys.stderr)
        elif logged:
            print(f"skmia: the traceback is in {logged}", file=sys.stderr)
        return code
