"""``python -m jax_act``: the ``jax-act`` command line."""

import sys

from jax_act.tools.cli import main

sys.exit(main())
