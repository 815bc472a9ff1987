"""The archive's records: articles and their access points (actors, places, tags).

Each access point is a record of its own, with an authorised name and
alternate names, as archival practice asks: "Daesh" and "ISIS" are names of
one actor, not two strings.
"""

import calendar
import datetime as dt
import json

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connections, models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords
from taggit.managers import TaggableManager
from taggit.models import Tag

from archive.history import ArticleHistoryBase


class DatePrecision(models.TextChoices):
    DAY = "day", "Day"
    WEEK = "week", "Week"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


def date_range(year: int, month: int | None = None, day: int | None = None) -> tuple[dt.date, dt.date, str]:
    """The first and last day a partial date covers, and its precision.

    Raises ValueError for impossible dates (month 13, 30 February).
    """
    if month is None:
        return dt.date(year, 1, 1), dt.date(year, 12, 31), DatePrecision.YEAR
    if day is None:
        last = calendar.monthrange(year, month)[1]
        return dt.date(year, month, 1), dt.date(year, month, last), DatePrecision.MONTH
    exact = dt.date(year, month, day)
    return exact, exact, DatePrecision.DAY


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"
    WITHDRAWN = "withdrawn", "Withdrawn"


class AuthorityStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class NameKind(models.TextChoices):
    VARIANT = "variant", "Variant"
    ACRONYM = "acronym", "Acronym"
    OFFICIAL = "official", "Official name"
    DEMONYM = "demonym", "Demonym"


class AuthorityQuerySet(models.QuerySet):
    """Queries shared by actors and places.

    ``published()`` is the archivist's decision on the record itself;
    ``public()`` is what the public site may name: a published record that a
    published article carries, so a name known only from drafts stays private.
    """

    def published(self):
        return self.filter(status=AuthorityStatus.PUBLISHED)

    def public(self):
        return self.published().filter(pk__in=self.ids_with_published_articles())

    def ids_with_published_articles(self):
        raise NotImplementedError("An authority QuerySet names the records that published articles carry.")

    def with_article_counts(self):
        return self.annotate(article_count=models.Count("articles", distinct=True))

    def with_published_article_counts(self):
        published = Q(articles__status=ArticleStatus.PUBLISHED)
        return self.annotate(article_count=models.Count("articles", filter=published, distinct=True))


class ActorQuerySet(AuthorityQuerySet):
    def ids_with_published_articles(self):
        links = Article.actors.through.objects.filter(article__status=ArticleStatus.PUBLISHED)
        return links.values("actor_id")


class PlaceQuerySet(AuthorityQuerySet):
    def ids_with_published_articles(self):
        """Places a published article is linked to, and every place above them.

        Places roll up as in search, where an article about Sigonella is also
        one about Sicily and Italy: a country stays public while only its
        cities have published articles. ``UNION`` drops rows already found,
        so a cycle in the hierarchy ends the recursion.
        """
        links, article, place = Article.places.through._meta.db_table, Article._meta.db_table, Place._meta.db_table
        sql = (
            f"WITH RECURSIVE covered(id) AS ("
            f" SELECT link.place_id FROM {links} link JOIN {article} article ON article.id = link.article_id"
            f" WHERE article.status = %s"
            f" UNION SELECT place.parent_id FROM {place} place JOIN covered ON place.id = covered.id"
            f" WHERE place.parent_id IS NOT NULL"
            f") SELECT id FROM covered"
        )
        return RawSQL(sql, [ArticleStatus.PUBLISHED])


class ActorType(models.TextChoices):
    PERSON = "person", "Person"
    ORGANISATION = "organisation", "Organisation"
    STATE = "state", "State or government"
    ARMED_GROUP = "armed_group", "Armed group"
    INTERNATIONAL_ORGANISATION = "international_organisation", "International organisation"
    OTHER = "other", "Other"


class Actor(models.Model):
    name = models.CharField("authorised name", max_length=255)
    type = models.CharField(max_length=32, choices=ActorType.choices, default=ActorType.OTHER)
    description = models.TextField(blank=True)
    external_id = models.CharField(
        "external identifier", max_length=64, blank=True, help_text="For example a Wikidata QID such as Q2429253."
    )
    status = models.CharField(max_length=16, choices=AuthorityStatus.choices, default=AuthorityStatus.PUBLISHED)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ActorQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name", "type"], name="actor_unique_name_type")]
        indexes = [models.Index(fields=["type", "name"])]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("archive:actor", args=[self.pk])

    def all_names(self) -> list[str]:
        return [self.name, *(alias.name for alias in self.alternate_names.all())]


class ActorName(models.Model):
    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="alternate_names")
    name = models.CharField(max_length=255)
    kind = models.CharField(max_length=16, choices=NameKind.choices, default=NameKind.VARIANT)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = "alternate name"
        constraints = [models.UniqueConstraint(fields=["actor", "name"], name="actor_name_unique")]

    def __str__(self):
        return self.name


class PlaceType(models.TextChoices):
    COUNTRY = "country", "Country"
    REGION = "region", "Region"
    CITY = "city", "City"
    SITE = "site", "Site or base"
    OTHER = "other", "Other"


class Place(models.Model):
    name = models.CharField("authorised name", max_length=255)
    type = models.CharField(max_length=16, choices=PlaceType.choices, default=PlaceType.OTHER)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    country_code = models.CharField(
        "ISO 3166 country code", max_length=2, blank=True, help_text="Two letters, e.g. IT for Italy."
    )
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    external_id = models.CharField("external identifier", max_length=64, blank=True)
    population = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="From the gazetteer; picks the likelier of two places with one name."
    )
    status = models.CharField(max_length=16, choices=AuthorityStatus.choices, default=AuthorityStatus.PUBLISHED)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PlaceQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["name"]), models.Index(fields=["country_code"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="place_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="place_longitude_range",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("archive:place", args=[self.pk])

    def ancestors(self) -> list["Place"]:
        """Parents from the nearest up, stopping at a cycle rather than looping."""
        chain, seen, node = [], {self.pk}, self.parent
        while node is not None and node.pk not in seen:
            chain.append(node)
            seen.add(node.pk)
            node = node.parent
        return chain

    def all_names(self) -> list[str]:
        return [self.name, *(alias.name for alias in self.alternate_names.all())]


class PlaceName(models.Model):
    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="alternate_names")
    name = models.CharField(max_length=255)
    kind = models.CharField(max_length=16, choices=NameKind.choices, default=NameKind.VARIANT)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = "alternate name"
        constraints = [models.UniqueConstraint(fields=["place", "name"], name="place_name_unique")]

    def __str__(self):
        return self.name


class ArticleQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=ArticleStatus.PUBLISHED)

    def with_ids(self, ids: list[int]):
        """The articles among ``ids``, sent as one parameter where the database can unpack it.

        An admin search hands over up to 10,000 ids, and the list page runs
        five queries over them: Django compiles an ``IN`` list one value at a
        time, which took longer than running the queries.
        """
        vendor = connections[self.db].vendor
        if vendor == "postgresql":
            return self.filter(pk__in=RawSQL("SELECT unnest(%s::bigint[])", [list(ids)]))
        if vendor == "sqlite":
            return self.filter(pk__in=RawSQL("SELECT value FROM json_each(%s)", [json.dumps(list(ids))]))
        return self.filter(pk__in=ids)

    def with_stale_suggestions(self, authorities: str):
        """Articles whose suggestions were made with other authority records than version ``authorities``,
        or never made."""
        current = SuggestionRun.objects.filter(article_id=OuterRef("pk"), authorities=authorities)
        return self.filter(~Exists(current))


class Article(models.Model):
    title = models.CharField(max_length=500)
    slug = models.SlugField(max_length=255, unique=True)
    byline = models.CharField(max_length=255, blank=True, help_text="The author or authors as printed.")
    source = models.CharField(max_length=255, blank=True, help_text="The publication or news agency.")
    source_url = models.URLField("source URL", max_length=1000, blank=True)
    language = models.CharField(max_length=16, default="en")
    published_start = models.DateField("published (from)", null=True, blank=True)
    published_end = models.DateField("published (to)", null=True, blank=True)
    published_precision = models.CharField(max_length=8, choices=DatePrecision.choices, blank=True)
    published_at = models.DateTimeField(
        "published at", null=True, blank=True, help_text="The exact time, when the source gives it."
    )
    dateline = models.CharField(
        max_length=255, blank=True, help_text="The dateline as printed, e.g. 'SALVADOR, Feb 26'."
    )
    dateline_place = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.SET_NULL, related_name="datelined_articles"
    )
    body = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT)

    source_file = models.CharField("original file name", max_length=500, blank=True)
    provider_id = models.CharField("provider's document id", max_length=100, blank=True)
    checksum = models.CharField("SHA-256 of the normalised text", max_length=64, db_index=True)
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="likely_duplicates",
        help_text="An earlier article with the same title and text (flagged, never merged).",
    )

    actors = models.ManyToManyField(Actor, blank=True, related_name="articles")
    places = models.ManyToManyField(Place, blank=True, related_name="articles")
    tags = TaggableManager(blank=True)

    version = models.PositiveIntegerField(default=1, help_text="Raised on every save, to refuse lost updates.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ArticleQuerySet.as_manager()
    history = HistoricalRecords(
        m2m_fields=["actors", "places"],
        bases=[ArticleHistoryBase],
        history_change_reason_field=models.TextField(null=True),
    )

    class Meta:
        ordering = ["-published_start", "-pk"]
        permissions = [
            ("submit_article", "Can submit an article for review"),
            ("publish_article", "Can publish an article"),
            ("withdraw_article", "Can withdraw a published article"),
            ("import_articles", "Can import articles"),
        ]
        indexes = [
            models.Index(fields=["status", "published_start"]),
            models.Index(fields=["published_start", "published_end"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "provider_id"],
                condition=~Q(provider_id=""),
                name="article_unique_provider_id",
            ),
            models.CheckConstraint(
                condition=Q(published_start__isnull=True)
                | Q(published_end__isnull=False, published_end__gte=models.F("published_start")),
                name="article_published_range_ordered",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("archive:article", args=[self.slug])

    @property
    def is_public(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED


def public_tags() -> models.QuerySet[Tag]:
    """Tags that a published article carries: for tags what ``public()`` is for actors and places."""
    return Tag.objects.filter(
        taggit_taggeditem_items__content_type=ContentType.objects.get_for_model(Article),
        taggit_taggeditem_items__object_id__in=Article.objects.published().values("pk"),
    ).distinct()


class OaiRecord(models.Model):
    """An article as OAI-PMH harvesters know it, from its first publication on.

    Never written for an article that was never published. Kept when the
    article is withdrawn or deleted (a tombstone, hence no foreign key), so
    harvesters learn of the removal. ``datestamp`` moves in the transaction
    of every change that can alter the record's metadata or sets
    (``archive.oai.records``).
    """

    article_id = models.BigIntegerField(primary_key=True)
    datestamp = models.DateTimeField()
    deleted = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["datestamp"], name="oai_record_datestamp")]

    def __str__(self):
        return f"OAI record of article {self.article_id}{' (deleted)' if self.deleted else ''}"


class OaiSet(models.Model):
    """A set ListSets declares: a tag, a country or a source that a record has been in."""

    spec = models.CharField(max_length=300, primary_key=True)
    name = models.CharField(max_length=500)

    class Meta:
        ordering = ["spec"]

    def __str__(self):
        return self.spec


class OaiSetMembership(models.Model):
    """A record in a set; a deleted record keeps the sets it was last published in."""

    record = models.ForeignKey(OaiRecord, on_delete=models.CASCADE, related_name="memberships")
    spec = models.CharField(max_length=300)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["spec", "record"], name="oai_membership_unique")]

    def __str__(self):
        return f"{self.spec}: article {self.record_id}"


class PendingIndexUpdate(models.Model):
    """An outbox row: this article's index entry must be rewritten or removed.

    Written in the same transaction as the change itself, so an update that
    cannot reach the index at once (lock held by another process, crash) is
    retried later instead of being lost.
    """

    article_id = models.BigIntegerField(db_index=True)
    queued_at = models.DateTimeField(auto_now_add=True)
    applied_to_live = models.BooleanField(
        default=False, help_text="Already written to the live index; kept for the rebuild that is under way."
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"reindex article {self.article_id}"


class SuggestionKind(models.TextChoices):
    ACTOR = "actor", "Actor"
    PLACE = "place", "Place"
    DATE = "date", "Date"
    NEW_PERSON = "new_person", "New person"
    NEW_ORGANISATION = "new_organisation", "New organisation"
    NEW_PLACE = "new_place", "New place"


class SuggestionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class SuggestionQuerySet(models.QuerySet):
    def without_linked(self):
        """Leave out pending suggestions of an actor, place or published date the article already carries.

        An archivist may link a record or date the article by hand, or an
        import may, after the suggestions were made: such a suggestion is no
        longer a question.
        """
        links = {
            relation: getattr(Article, relation).through.objects.filter(
                article_id=OuterRef("article_id"), **{f"{target}_id": OuterRef(f"{target}_id")}
            )
            for relation, target in (("actors", "actor"), ("places", "place"))
        }
        pending = SuggestionStatus.PENDING
        return (
            self.exclude(Exists(links["actors"]), status=pending)
            .exclude(Exists(links["places"]), status=pending)
            .exclude(
                status=pending,
                kind=SuggestionKind.DATE,
                date_start=F("article__published_start"),
                date_end=F("article__published_end"),
            )
        )

    def pending(self):
        """The suggestions still waiting for a decision."""
        return self.filter(status=SuggestionStatus.PENDING).without_linked()


class Suggestion(models.Model):
    """An access point the extractor proposes for an article, with the words that led to it."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="suggestions")
    kind = models.CharField(max_length=20, choices=SuggestionKind.choices)
    actor = models.ForeignKey(Actor, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    place = models.ForeignKey(Place, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    candidate_name = models.CharField(max_length=255, blank=True)
    date_start = models.DateField(null=True, blank=True)
    date_end = models.DateField(null=True, blank=True)
    date_precision = models.CharField(max_length=8, choices=DatePrecision.choices, blank=True)
    confidence = models.FloatField()
    evidence = models.JSONField(default=list, help_text="Matched words with their character offsets.")
    status = models.CharField(max_length=16, choices=SuggestionStatus.choices, default=SuggestionStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = SuggestionQuerySet.as_manager()

    class Meta:
        ordering = ["-confidence"]
        indexes = [models.Index(fields=["article", "status"])]

    def __str__(self):
        target = self.actor or self.place or self.candidate_name or f"{self.date_start} to {self.date_end}"
        return f"{self.get_kind_display()}: {target}"


class SuggestionRun(models.Model):
    """Which version of the authority records an article's suggestions were last made with.

    When the records change (see ``archive.extraction.authorities.authority_version``),
    the article's suggestions are stale: the admin refreshes them when the
    article is opened, and the worker in the background.
    """

    article = models.OneToOneField(Article, on_delete=models.CASCADE, primary_key=True, related_name="suggestion_run")
    authorities = models.CharField("version of the authority records", max_length=64)
    ran_at = models.DateTimeField()

    def __str__(self):
        return f"suggestions for article {self.article_id} ({self.authorities[:12]})"


class AuthorityChange(models.Model):
    """One row per write of an actor, a place or one of their names.

    Rows are only ever added, so their number changes with every committed
    change, including edits that leave counts and timestamps as they were
    (an alternate name corrected in place): it versions the authority records.
    """

    changed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"authority change {self.pk}"


class ImportJobStatus(models.TextChoices):
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ImportJob(models.Model):
    """Files uploaded in the admin and imported in the background; the result page reads this row."""

    file_names = models.TextField(help_text="The uploaded files (and zip members), one per line.")
    status = models.CharField(max_length=16, choices=ImportJobStatus.choices, default=ImportJobStatus.RUNNING)
    total = models.PositiveIntegerField("files", default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    failures = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, help_text="Why the whole import stopped, if it did.")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life of the running import; it writes one every second."
    )

    # A running job silent for this long has lost its process (a restart, a kill).
    STALLED_AFTER = dt.timedelta(seconds=60)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = "admin import"

    def __str__(self):
        return f"Import {self.pk} ({self.state})"

    @property
    def stalled(self) -> bool:
        """Still marked running, but nothing has run it for a while: it can be run again."""
        last_sign = self.heartbeat_at or self.started_at
        return self.status == ImportJobStatus.RUNNING and timezone.now() - last_sign > self.STALLED_AFTER

    @property
    def state(self) -> str:
        return "Interrupted" if self.stalled else self.get_status_display()
