"""Running management commands in tests the way a shell would see them: an exit status and what was printed."""

from io import StringIO

from django.core.management import call_command


def run(command, *args):
    """Run a management command; return (exit status, stdout)."""
    out = StringIO()
    try:
        call_command(command, *args, stdout=out, stderr=StringIO(), verbosity=0)
    except SystemExit as exit_:
        return exit_.code, out.getvalue()
    return 0, out.getvalue()
