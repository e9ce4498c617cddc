"""``python -m core`` runs the ``wenku`` command line."""

from core.cli import main

main()
