"""Gunicorn settings for the web process (``make serve``), read from the environment like the Django settings.

Each worker process runs ``GUNICORN_THREADS`` threads; a slow request holds a
thread, not a process, and the search index is opened once per process.
"""

import os

wsgi_app = "archive.wsgi:application"
bind = f"{os.environ.get('HOST') or '127.0.0.1'}:{os.environ.get('PORT') or '8000'}"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2)
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or 4)
# A request that takes longer than this is stuck: its worker is restarted.
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 60)
# Seconds a worker has to finish its requests after SIGTERM before it is killed.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT") or 30)
accesslog = "-"
errorlog = "-"
