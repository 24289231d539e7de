"""Template helpers: markdown rendered safely, and small formatting filters."""

import nh3
from django import template
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

register = template.Library()

# CommonMark with raw HTML switched off; nh3 then keeps only harmless tags and attributes.
MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


@register.filter
def markdown(text):
    """Markdown as sanitised HTML: raw HTML in the text is shown as text, never run."""
    html = MARKDOWN.render(text or "")
    return mark_safe(nh3.clean(html, link_rel="noopener noreferrer nofollow"))


@register.filter
def is_fasta(text):
    return (text or "").lstrip().startswith(">")


@register.filter
def yes_no(value):
    return "Yes" if value else "No"


@register.simple_tag(takes_context=True)
def with_param(context, name, value):
    """The current query string with ``name`` set to ``value`` (for pagination and sorting links)."""
    query = context["request"].GET.copy()
    query[name] = value
    return "?" + query.urlencode()
