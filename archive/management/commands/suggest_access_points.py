"""Re-run the access-point suggestions for all articles or some."""

from django.core.management.base import BaseCommand, CommandError

from archive.extraction.authorities import authority_version
from archive.models import Article, ArticleStatus
from archive.services.suggestions import suggest_for_articles


class Command(BaseCommand):
    help = (
        "Suggest actors, places and dates for articles (all by default). Each batch of articles is committed "
        "on its own, so an interrupted run can simply be started again; rejected suggestions never come back."
    )

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int, help="Article ids (default: every article).")
        parser.add_argument("--status", help="Only articles with this status (draft, in_review, published, withdrawn).")
        parser.add_argument(
            "--stale",
            action="store_true",
            help="Only articles whose suggestions were made before the authority records last changed, or never.",
        )

    def handle(self, *args, ids, status, stale, **options):
        articles = Article.objects.all()
        if ids:
            articles = articles.filter(pk__in=ids)
            missing = sorted(set(ids) - set(articles.values_list("pk", flat=True)))
            if missing:
                raise CommandError(f"No article with id {', '.join(map(str, missing))}.")
        if status:
            if status not in ArticleStatus.values:
                raise CommandError(f"--status must be one of {', '.join(ArticleStatus.values)}, not {status!r}.")
            articles = articles.filter(status=status)
        try:
            if stale:
                articles = articles.with_stale_suggestions(authority_version())
            report = suggest_for_articles(
                article_ids=articles.values_list("pk", flat=True), progress=True, only_stale=stale
            )
        except KeyboardInterrupt as exc:
            raise CommandError(
                "Interrupted: the articles already done keep their suggestions; run again to finish."
            ) from exc
        self.stdout.write(
            f"Suggestions for {report.articles} articles: {report.created} new, {report.updated} updated, "
            f"{report.removed} withdrawn."
        )
