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
from jinja2.environment import TemplateModule
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
    """A whole page from one of the page templates.

    The context is the keyword arguments alone, as `partial` has it: `Template.render` would
    first copy the environment's globals (range, lipsum, ...; none of which a page uses) in
    with them, and that copy is a third of rendering a post's page."""
    compiled = _ENV.get_template(template)
    try:
        return _ENV.concat(compiled.root_render_func(compiled.new_context(context, shared=True)))
    except Exception:
        _ENV.handle_exception()  # the error, with a traceback through the template's lines


def partial(template: str) -> Callable[..., Markup]:
    """A partial to render from Python many times (a post card): what it returns is the markup
    the template wrote, escaped as it went, so a page can take it in as it is.

    Every render runs the compiled template on one context, whose names are the keyword
    arguments alone: no macro is called (calling a macro from Python costs more than a card's
    own markup) and no context is made (a tenth of a card). Jinja's template module is what
    marks the output safe. A render is over before the next begins, as a card never renders
    another card from Python."""
    compiled = _ENV.get_template(template)
    names: dict[str, object] = {}
    context = compiled.new_context(names, shared=True)  # looks names up in `names` itself

    def rendered(**given: object) -> Markup:
        names.clear()
        names.update(given)
        context.vars.clear()  # what a template sets at its top level lasts one render
        return escape(TemplateModule(compiled, context, compiled.root_render_func(context)))

    return rendered
