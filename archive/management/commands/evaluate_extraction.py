"""Precision and recall of the suggestions against Reuters-21578's human categories."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from archive.extraction.evaluation import KINDS, EvaluationError, evaluate

LABELS = {"places": "Places (country)", "people": "People", "orgs": "Organisations"}


class Command(BaseCommand):
    help = (
        "Train the authority records on some Reuters-21578 SGML files, suggest for others, and compare with their "
        "human PLACES, PEOPLE and ORGS. Needs an empty database (see the README); everything is rolled back."
    )

    def add_arguments(self, parser):
        parser.add_argument("--train", nargs="+", required=True, type=Path, help="reut2-*.sgm files for the records.")
        parser.add_argument("--test", nargs="+", required=True, type=Path, help="reut2-*.sgm files to measure on.")
        parser.add_argument(
            "--threshold",
            type=float,
            nargs="+",
            default=[0.6],
            help="Lowest confidence counted (default 0.6, tuned on reut2-000..003); give several to see the trade-off.",
        )
        parser.add_argument("--min-population", type=int, default=15_000, help="Gazetteer city threshold.")
        parser.add_argument("--errors", type=int, default=10, help="How many frequent errors to list per kind.")

    def handle(self, *args, train, test, threshold, min_population, errors, **options):
        for value in threshold:
            if not 0 <= value <= 1:
                raise CommandError(f"--threshold must be between 0 and 1, not {value}.")
        try:
            report = evaluate(train=train, test=test, thresholds=threshold, min_population=min_population)
        except EvaluationError as exc:
            raise CommandError(str(exc)) from exc
        out = self.stdout
        out.write(
            f"{report.articles} test stories; {report.actors} actors and {report.places} places known; "
            f"{report.seconds_per_article * 1000:.1f} ms per story."
        )
        for value, scores in report.scores.items():
            out.write(f"\nConfidence >= {value}")
            out.write(f"{'':18} {'precision':>9} {'recall':>7} {'F1':>6} {'TP':>6} {'FP':>6} {'FN':>6}")
            for kind in KINDS:
                s = scores[kind]
                out.write(
                    f"{LABELS[kind]:18} {s.precision:9.3f} {s.recall:7.3f} {s.f1:6.3f} "
                    f"{s.true_positives:6} {s.false_positives:6} {s.false_negatives:6}"
                )
        scores = report.scores[threshold[0]]
        out.write(f"\nMost frequent errors at confidence >= {threshold[0]}:")
        for kind in KINDS:
            s = scores[kind]
            wrong = ", ".join(f"{name} ({n})" for name, n in s.wrong.most_common(errors)) or "none"
            missed = ", ".join(f"{name} ({n})" for name, n in s.missed.most_common(errors)) or "none"
            out.write(f"{LABELS[kind]}: suggested but not tagged: {wrong}")
            out.write(f"{LABELS[kind]}: tagged but not suggested: {missed}")
