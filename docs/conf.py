"""Sphinx configuration: the pages of docs/ (Markdown, through MyST) and the API reference
from the docstrings. Build: python -m sphinx -W -b html docs docs/_build/html"""

project = "jax_act"
extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.mathjax"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # signatures carry jax's aliases; the docstrings say the types
napoleon_google_docstring = True
napoleon_numpy_docstring = False
suppress_warnings = ["myst.xref_missing"]  # links to files outside docs/ (tests, bench results)
html_theme = "alabaster"


def _skip_jax_nn(app, what, name, obj, skip, options):
    """jax.nn's own names, re-exported unchanged, are documented by JAX."""
    import jax_act

    return True if name in jax_act.JAX_NN_REEXPORTS else None


def setup(app):
    app.connect("autodoc-skip-member", _skip_jax_nn)
