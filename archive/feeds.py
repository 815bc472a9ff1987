"""An Atom feed for any search, so a researcher can follow a query."""

import datetime as dt

from django.contrib.syndication.views import Feed
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import strip_tags
from django.utils.text import Truncator

from archive import search_page, selectors
from archive.forms import DEFAULT_PAGE_SIZE, SearchForm, SearchParams

FEED_ITEMS = 50


class PlainSummaryAtomFeed(Atom1Feed):
    """Atom with each entry's summary as plain text.

    Django writes the summary as ``type="html"``, which a feed reader decodes
    into live markup: a ``<script>`` in an article's text would reach it as a
    script. As ``type="text"`` the reader shows the characters as they are.
    """

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, {**item, "description": None})
        if item["description"] is not None:
            handler.addQuickElement("summary", item["description"], {"type": "text"})


class SearchFeed(Feed):
    feed_type = PlainSummaryAtomFeed

    def get_object(self, request, *args, **kwargs):
        params = SearchForm(request.GET).search_params()
        return params.with_changes(sort="newest", per_page=FEED_ITEMS)

    def title(self, params: SearchParams) -> str:
        described = [f"“{params.text}”"] if params.text else []
        filters = search_page.active_filters(params, selectors.names_for(params))
        described += [f"{item.kind.lower()} {item.label}" for item in filters if item.kind != "Words"]
        return "News archive: " + (", ".join(described) if described else "newest articles")

    def link(self, params: SearchParams) -> str:
        return search_page.search_url(params.with_changes(sort="relevance", per_page=DEFAULT_PAGE_SIZE))

    def subtitle(self, params: SearchParams) -> str:
        return "The newest published articles matching this search."

    def items(self, params: SearchParams):
        return selectors.articles_for_hits(selectors.search(params, facets=()).hits)

    def item_title(self, article) -> str:
        return article.title

    def item_description(self, article) -> str:
        return Truncator(strip_tags(article.body)).words(60)

    def item_author_name(self, article) -> str:
        return article.byline

    def item_pubdate(self, article):
        if article.published_at:
            return article.published_at
        if article.published_start:
            return dt.datetime.combine(article.published_start, dt.time(), tzinfo=dt.UTC)
        return article.created_at

    def item_updateddate(self, article):
        return article.updated_at

    def item_categories(self, article):
        return [tag.name for tag in article.tags.all()]
