"""`python -m eval`: the same command and options as `rag eval`."""
import sys

from eval.cli import main

sys.exit(main())
