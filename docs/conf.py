"""Sphinx configuration of the speckle documentation."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

from speckle import __version__

project = "speckle"
author = "speckle contributors"
copyright = "2026, speckle contributors"
release = __version__
version = __version__

extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.viewcode"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
# pydantic internals that autodoc would otherwise document on every model
autodoc_inherit_docstrings = False
nitpicky = False
exclude_patterns = ["_build"]
html_theme = "alabaster"
suppress_warnings = ["autodoc.import_object"]
