"""The ``cnnlab`` command. Each subcommand lives in ``bench/commands/<name>.py``.

A command module defines ``NAME``, ``HELP``, ``configure(parser)`` and ``run(args) -> int``. Bad
input is raised as :class:`cnnlab.errors.UsageError` (a missing framework as
``FrameworkMissing``, a file that is not there as ``FileNotFoundError``) and printed as one line
with exit code 2, so a typo never ends in a traceback. Any other exception is a bug: its
traceback is shown with a line saying so, exit code 1.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
import traceback

from cnnlab.bench import commands

# Frameworks print start-up chatter on import; a command-line user wants the table.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _command_modules():
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            yield importlib.import_module(f"cnnlab.bench.commands.{info.name}")


def cnnlab_version() -> str:
    import cnnlab

    return cnnlab.__version__


def _version() -> str:
    """pip's form: the version, where it is installed, the Python."""
    import cnnlab

    python = ".".join(map(str, sys.version_info[:3]))
    return f"cnnlab {cnnlab.__version__} from {os.path.dirname(cnnlab.__file__)} (python {python})"


class _Parser(argparse.ArgumentParser):
    """argparse's parser with one-line errors: argparse prints its whole usage (up to nine lines
    for ``bench``) above the message; here the message names the problem and where help is."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cnnlab",
        description="Reference CNNs in PyTorch and Keras, a sandboxed grader and a benchmark.",
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in _command_modules():
        child = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.configure(child)
        child.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # named by the subcommand, whose --help lists what it takes
        commands_action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        commands_action.choices[args.command].error(f"unrecognized arguments: {' '.join(unknown)}")
    from cnnlab.errors import UsageError
    from cnnlab.reference.frameworks import FrameworkMissing

    try:
        return int(args._run(args) or 0)
    except (UsageError, FrameworkMissing, FileNotFoundError) as exc:
        print(f"cnnlab {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"cnnlab {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception:  # noqa: BLE001 - a bug: show where, and say it is not the user's input
        traceback.print_exc()
        print(f"cnnlab {args.command}: unexpected error (a bug in cnnlab, not in your input); "
              f"please report it with the traceback above (cnnlab {cnnlab_version()})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
