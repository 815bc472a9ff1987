from django.http import HttpResponse


def home(request):
    return HttpResponse("")


search = article_detail = actor_detail = place_detail = home
