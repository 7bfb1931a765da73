"""The Jinja2 environment the viewer's pages are rendered with (https://jinja.palletsprojects.com).

Autoescape is on for every template, so a string from a post is escaped wherever a template
writes it; the one kind of Markup handed in is post text that nh3 has already sanitised
(`cards.py`). StrictUndefined makes a misspelt name in a template an error, not an empty string.
The templates ship as package data beside this module and are found through the package, so an
installed wheel and an editable checkout load the same files.
"""

from __future__ import annotations

from collections.abc import Callable

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

_ENV = Environment(
    loader=PackageLoader("crosspost.view", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    # Block tags on lines of their own leave no blank lines: an unchanged post renders to the
    # same compact bytes as before, so re-rendering an old site rewrites nothing.
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    auto_reload=False,  # a render is one process: no stat() of a template per page
)
_ENV.filters["thousands"] = "{:,}".format


def render(template: str, **context: object) -> str:
    """A whole page from one of the page templates."""
    return _ENV.get_template(template).render(context)


def partial(template: str) -> Callable[..., Markup]:
    """A partial to render from Python many times (a post card): what it returns is the markup
    the template wrote, escaped as it went, so a page can take it in as it is.

    It runs the compiled template on a context that is the keyword arguments alone, without the
    environment's globals or a macro call: rendering a macro from Python costs more than the
    card's own markup. Jinja's template module is what marks the output safe."""
    compiled = _ENV.get_template(template)

    def rendered(**context: object) -> Markup:
        return escape(compiled.make_module(context, shared=True))

    return rendered
