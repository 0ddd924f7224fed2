"""Anonymous JSON searches (`/api/v4/search/?q=`), answered by a plain Django view: the same
search (`search.find`), hits (`api.search_hits`) and renderer as `SearchViewSet`, without
DRF's dispatch around them.

`SearchRead` stands in front of the router's search view as `api.reads.DocumentRead` does for
lists and details: a plain anonymous JSON GET or HEAD is answered here, anything else (a bad
`limit` or readiness value, a `format`, a token or session) by the DRF view, which words the
400s. The throttles are counted first, at the search's cost, so a refused client costs no
search.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotModified
from django.urls import URLPattern
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer

import search
from api.conditional import etag, matches
from api.reads import JSON, is_plain_anonymous_json
from api.search_hits import asked_search
from api.throttling import check_request


class SearchRead:
    """The search list view: answered here for plain anonymous JSON, else by DRF's."""

    def __init__(self, drf_view: Any) -> None:
        self.drf_view = drf_view
        viewset = drf_view.cls
        methods = {*drf_view.actions, "head", "options"}
        self.allow = ", ".join(m.upper() for m in viewset.http_method_names if m in methods)
        self.cost = viewset.throttle_cost
        # What the middleware reads off a view: its class and actions (throttles, 405s).
        self.cls, self.actions, self.initkwargs = viewset, drf_view.actions, drf_view.initkwargs
        self.csrf_exempt = True

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if "format" in kwargs or not is_plain_anonymous_json(request):
            return self.drf_view(request, *args, **kwargs)
        try:
            asked = asked_search(request)
        except ValidationError:
            return self.drf_view(request, *args, **kwargs)
        refused = check_request(request, cost=self.cost)
        if refused is not None:
            return refused
        hits, terms = asked.run(request)
        body = JSONRenderer().render(hits, JSON, {})
        tag = etag(body)
        response: HttpResponse
        if matches(request, tag):
            response = HttpResponseNotModified()
            response["Allow"], response["Vary"] = self.allow, "Accept"
        else:
            response = HttpResponse(body, content_type=JSON)
            response["Vary"], response["Allow"] = "Accept", self.allow
            response["X-Search-Terms"] = search.header_value(terms)
        response["ETag"] = tag
        return response


def search_first(patterns: list[Any]) -> list[Any]:
    """The router's URL patterns with the search list view (not its `.json` form, which DRF
    answers) behind `SearchRead`."""
    served = []
    for pattern in patterns:
        if getattr(pattern, "name", "") == "search-list" and "format" not in str(pattern.pattern):
            view = SearchRead(pattern.callback)
            pattern = URLPattern(pattern.pattern, view, pattern.default_args, pattern.name)
        served.append(pattern)
    return served
