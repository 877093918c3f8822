"""The ``jax-act`` command line and the tools behind it: the kit run over the registry
(``check``), the listing, the float64/mpmath accuracy oracle, the benchmark harness with its
training-step models, the plots and the demo. ``import jax_act`` imports none of them; the
plots need the ``plot`` extra (matplotlib), the multiprecision oracle the ``accuracy`` extra
(mpmath)."""
