"""The differential-testing kit's machinery; :mod:`jax_act.testing` is its public face."""
