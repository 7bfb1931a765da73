"""The Jinja2 environment the viewer's pages are rendered with (https://jinja.palletsprojects.com).

Autoescape is on for every template, so a string from a post is escaped wherever a template
writes it; the one kind of Markup handed in is post text that nh3 has already sanitised
(`cards.py`). StrictUndefined makes a misspelt name in a template an error, not an empty string.
The templates ship as package data beside this module and are found through the package, so an
installed wheel and an editable checkout load the same files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache

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


class _Reused:
    """A compiled template and the one context every render of it runs on.

    The context's names are the keyword arguments of a render alone: `Template.render` would
    copy the environment's globals (range, lipsum, ...; no template here uses one) in with them
    first, a third of rendering a post's page, and making a context is a tenth of a card. Each
    render resets what a template may leave in it (names it set at its top level, the blocks
    an `extends` added) and is over before the next begins: a page is joined, a card escaped,
    before they return, and neither renders another of its kind.
    """

    def __init__(self, template: str) -> None:
        self.template = _ENV.get_template(template)
        self._names: dict[str, object] = {}
        self.context = self.template.new_context(self._names, shared=True)

    def stream(self, given: dict[str, object]) -> Iterator[str]:
        self._names.clear()
        self._names.update(given)
        self.context.vars.clear()
        self.context.blocks = {name: [block] for name, block in self.template.blocks.items()}
        return self.template.root_render_func(self.context)


@cache
def _reused(template: str) -> _Reused:
    return _Reused(template)


def render(template: str, **context: object) -> str:
    """A whole page from one of the page templates."""
    try:
        return _ENV.concat(_reused(template).stream(context))
    except Exception:
        _ENV.handle_exception()  # the error, with a traceback through the template's lines


def partial(template: str) -> Callable[..., Markup]:
    """A partial to render from Python many times (a post card): what it returns is the markup
    the template wrote, escaped as it went, so a page can take it in as it is. No macro is
    called: calling one from Python costs more than a card's own markup. Jinja's template
    module is what marks the output safe."""
    reused = _reused(template)

    def rendered(**given: object) -> Markup:
        return escape(TemplateModule(reused.template, reused.context, reused.stream(given)))

    return rendered
