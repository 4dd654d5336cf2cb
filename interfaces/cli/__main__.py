"""`python -m leadpilot.interfaces.cli`: the `leadpilot` command."""

from leadpilot.interfaces.cli import main

if __name__ == "__main__":
    main()
