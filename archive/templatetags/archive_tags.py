"""Template helpers for the public site: dates at their precision, citations, result rows, facet options."""

import datetime as dt
from html import escape

from django import template
from django.template.defaultfilters import truncatewords
from django.urls import reverse
from django.utils.safestring import SafeData, SafeString, mark_safe

register = template.Library()


def _format(template_: str, *args) -> SafeString:
    """``format_html`` for the tags below, which fill a thousand values a page: Django's escaping
    goes through a lazy-string check on every call that cost more than the escaping itself.
    The output is the same (Django's ``escape`` is ``html.escape``)."""
    return mark_safe(template_.format(*(str(arg) if isinstance(arg, SafeData) else escape(str(arg)) for arg in args)))


def _lines(parts) -> SafeString:
    """Parts each built by ``_format``, one a line."""
    return mark_safe("\n".join(parts))


@register.filter
def published_date(article) -> str:
    """The published date as precisely as it is known: "24 February 2016", "February 2016" or "2016"."""
    start = article.published_start
    if start is None:
        return "Date unknown"
    if article.published_precision == "year":
        return f"{start.year}"
    if article.published_precision == "month":
        return f"{start:%B %Y}"
    if article.published_precision == "week" and article.published_end:
        return f"{start.day} {start:%B %Y} to {article.published_end.day} {article.published_end:%B %Y}"
    return f"{start.day} {start:%B %Y}"


@register.filter
def published_time(article) -> str:
    if article.published_at is None:
        return ""
    return f"{article.published_at.astimezone(dt.UTC):%H:%M} UTC"


@register.simple_tag
def citation(article, url: str) -> str:
    """A plain citation line, ready to copy: author, title, source, date, address."""
    byline = article.byline.strip().rstrip(".")
    lead = f"{byline}. " if byline else ""
    where = ", ".join(part for part in (article.source.strip(), published_date(article)) if part)
    return f"{lead}“{article.title.strip().rstrip('.')}.” {where}. {url}"


@register.simple_tag
def facet_options(options) -> str:
    """One ``<li>`` link per facet option.

    A search page lists about a hundred options; rendered node by node in the
    template they took a third of the page's rendering time.
    """
    return _lines(_facet_option(option) for option in options)


def _facet_option(option) -> str:
    detail = _format(' <span class="detail">({})</span>', option.detail) if option.detail else ""
    if option.selected:
        return _format(
            '<li><a href="{}" class="selected" aria-current="true"><span class="facet-label">'
            '<span aria-hidden="true">✓ </span>{}{}<span class="visually-hidden"> (selected: choose to remove)</span>'
            '</span> <span class="count">{}</span></a></li>',
            option.url,
            option.label,
            detail,
            option.count,
        )
    return _format(
        '<li><a href="{}"><span class="facet-label">{}{}</span> <span class="count">{}</span></a></li>',
        option.url,
        option.label,
        detail,
        option.count,
    )


@register.simple_tag
def result_items(rows) -> str:
    """One ``<li>`` per search result: title, date, source, byline, snippet and access-point chips.

    Written as a tag rather than template markup because a results page
    renders twenty of them with about forty template nodes each: 2.4 ms of
    a search page at 108,000 articles in the template, 0.6 ms here.
    """
    search_path = reverse("archive:search")
    # An article's address is its slug in a fixed frame (the URL's slug converter allows no character that
    # needs quoting); one reverse() per row was a third of the rows' time.
    head, tail = reverse("archive:article", args=["-"]).rsplit("-", 1)
    return _lines(_result_item(row, search_path, f"{head}{row.article.slug}{tail}") for row in rows)


def _result_item(row, search_path: str, url: str) -> str:
    article = row.article
    meta = [_format('<time datetime="{}">{}</time>', _iso(article.published_start), published_date(article))]
    meta += [
        _format('<span aria-hidden="true"> · </span>{}', part) for part in (article.source, article.byline) if part
    ]
    # The engine's snippet is escaped text with <mark> tags around the matched words.
    snippet = mark_safe(row.highlight) if row.highlight else truncatewords(article.body, 45)
    chip = '<a class="chip chip-{0}" href="{1}?{0}={2}">{3}</a>'
    chips = " ".join(
        [_format(chip, "actor", search_path, actor.pk, actor.name) for actor in row.actors]
        + [_format(chip, "place", search_path, place.pk, place.name) for place in row.places]
    )
    return _format(
        '<li class="result">\n  <article>\n'
        '    <h3 class="result-title"><a href="{}">{}</a></h3>\n'
        '    <p class="meta">{}</p>\n'
        '    <p class="snippet">{}</p>\n'
        "{}"
        "  </article>\n</li>",
        url,
        article.title,
        _lines(meta),
        snippet,
        mark_safe(f'    <p class="points">{chips}</p>\n') if chips else "",  # each chip is built by _format
    )


def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


@register.simple_tag
def timeline_bars(bars) -> str:
    """One linked SVG bar per period of the timeline, with its count in the link's label and title.

    A tag for the same reason as ``result_items``: a dozen to fifty bars of
    about fifteen template nodes each.
    """
    return _lines(_timeline_bar(bar) for bar in bars)


def _timeline_bar(bar) -> str:
    description = f"{bar.label}: {bar.count} article{'' if bar.count == 1 else 's'}"
    filled = (
        _format('<rect class="bar" x="{}" y="{}" width="{}" height="{}"></rect>', bar.x, bar.y, bar.width, bar.height)
        if bar.height
        else ""
    )
    label = (
        _format('<text x="{}" y="116" text-anchor="middle">{}</text>', bar.label_x, bar.label) if bar.show_label else ""
    )
    return _format(
        '<a href="{}" aria-label="{}">\n  <title>{}</title>\n'
        '  <rect class="slot" x="{}" y="0" width="{}" height="102"></rect>\n  {}{}\n</a>',
        bar.url,
        description,
        description,
        bar.x,
        bar.width,
        filled,
        label,
    )
