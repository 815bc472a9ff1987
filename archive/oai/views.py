"""The OAI-PMH endpoint: one URL, every verb, by GET or by a form POST, as the protocol allows."""

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from archive.oai import protocol, xml


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def endpoint(request):
    now = timezone.now()
    repository = protocol.Repository(
        namespace=settings.ARCHIVE_OAI["NAMESPACE"],
        # Reversed once, not per record, as the exports do.
        article_url=request.build_absolute_uri(reverse("archive:article", args=["SLUG"])).replace("SLUG", "{slug}"),
    )
    answer = protocol.answer(request.POST if request.method == "POST" else request.GET, repository=repository)
    body = xml.render(answer, base_url=request.build_absolute_uri(reverse("oai")), now=now)
    return HttpResponse(body, content_type="text/xml; charset=utf-8")
