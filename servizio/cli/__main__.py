"""`python -m servizio.cli`: the `registro` command."""

from servizio.cli.principale import main

main()
