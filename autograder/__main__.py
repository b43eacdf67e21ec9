"""`python -m autograder COMMAND ...`: one module per command."""
import argparse
import sys

from . import course, demo, export, grade, merge, publish, release

COMMANDS = {"release": release, "publish": publish, "grade": grade, "merge": merge, "export": export,
            "demo": demo}


def parser():
    """The command line: one sub-command per module in COMMANDS."""
    top = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)
    for name, module in COMMANDS.items():
        module.configure(commands.add_parser(
            name, help=module.__doc__.splitlines()[0], description=module.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter))
    return top


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.command].run(args)
    except course.CourseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
