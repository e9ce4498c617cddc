"""``python -m desktop``: start the Wenku desktop app."""

from desktop.app import main

main()
