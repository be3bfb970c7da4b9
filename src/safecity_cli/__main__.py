"""Allow `python -m safecity_cli`."""

from safecity_cli.cli import main

main()
