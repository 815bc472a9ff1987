"""The read-only JSON API: search with the site's filters and facets, articles, actors, places and tags."""
