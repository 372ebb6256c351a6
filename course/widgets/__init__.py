"""Interactive widgets, one module per kind. Notebooks only instantiate them.

Every widget is a class that owns its children, reacts through named callbacks, writes feedback to
its own area, can be driven from Python (tests need no browser), and shows a plain-text fallback
wherever widgets cannot render.
"""
