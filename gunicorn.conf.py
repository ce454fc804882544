"""gunicorn settings for Gallery.

From the checkout: ``gunicorn -c gunicorn.conf.py`` (gunicorn also reads this file by itself when
started in this folder); from anywhere else pass its path: ``gunicorn -c /path/to/gunicorn.conf.py``.
Command-line options win over the values here (``-w 8``, ``-b 0.0.0.0:8000``).

``timeout`` is derived from the configuration, so that it always exceeds the storage time budget
of a request (``GALLERY_S3_TOTAL_TIMEOUT``, 25 s by default, plus 35 s for the rest: 60 s): a
request whose object store stalls is answered 503 before gunicorn would kill its worker.

Threads (``gthread``): a worker keeps reporting to the arbiter while its threads stream long
downloads (an album ZIP can take minutes), so only a worker that is really stuck is replaced.

``when_ready`` warns at start when the login rate limits would be counted in each worker apart.

``post_worker_init`` freezes what the worker holds once the app is loaded (``gc.freeze()``, as the
``gc`` module's documentation advises for long-lived servers): the cyclic garbage collector's full
collections then skip the app's ~220,000 long-lived objects (modules, SQLAlchemy mappers, schemas,
translations) that no request frees.  Measured in one process on the search API (docs/search.md):
a full collection took 132 ms of CPU without it, 13 ms with it.  The app is loaded in each worker
(no ``preload_app``), so this is the first moment its objects exist there.

No keep-alive (``keepalive = 0``): behind nginx a kept-alive connection belongs to the worker that
accepted it, and nginx reuses its most recently freed connection first, so the requests piled onto
one busy worker (one GIL) while the others idled — 916, 74 and 40 requests of three workers in one
measurement, 264/258/231 with a connection per request (``bench/load.py``; ``docs/load.md``).  A
new connection goes to a worker that is free to accept it, and a request that met a killed worker
is retried by nginx on a fresh connection instead of another one of the dead worker.
"""

import gc

from gallery.config import ConfigError, worker_timeout
from gallery.http.ratelimit import when_ready  # noqa: F401  (server hook: warns when workers count login limits apart)

wsgi_app = "wsgi:app"
bind = "127.0.0.1:8000"
worker_class = "gthread"
workers = 4
threads = 4
try:
    timeout = worker_timeout()
except ConfigError as exc:  # one line a person can act on, not a traceback
    raise SystemExit(f"Gallery configuration error: {exc}") from None
graceful_timeout = 30
keepalive = 0  # one request per connection: nginx's requests spread over the workers


def post_worker_init(worker: object) -> None:
    """Once the worker has loaded the app: collect, then move every object left into the
    collector's permanent generation (a request's own garbage is still collected as before)."""
    gc.collect()
    gc.freeze()
