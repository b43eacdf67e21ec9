"""`python -m autograder COMMAND ...`: one module per command."""
import argparse
import sys

from . import course, demo, export, grade, publish, release

COMMANDS = {"release": release, "publish": publish, "grade": grade, "export": export, "demo": demo}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, module in COMMANDS.items():
        module.configure(commands.add_parser(
            name, help=module.__doc__.splitlines()[0], description=module.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter))
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command].run(args)
    except course.CourseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
