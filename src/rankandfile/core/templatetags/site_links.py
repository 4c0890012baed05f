"""``{% load site_links %}``: ``{{ text|site_links }}`` turns the site paths in stored text
(``/selections/12/``) into absolute links when the text is shown or emailed
(:func:`rankandfile.core.links.expand_paths`). The result is plain text: escape or
``urlize`` it as usual."""

from __future__ import annotations

from django import template

from rankandfile.core.links import expand_paths

register = template.Library()


@register.filter(name="site_links")
def site_links(text: object) -> str:
    return expand_paths(str(text or ""))


@register.filter(name="absolute_url")
def absolute_url(path: object) -> str:
    """``{{ path|absolute_url }}``: a site path as a link that works off the site."""
    from rankandfile.core.links import absolute_url as make

    return make(str(path or "/"))
