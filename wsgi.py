"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi …`."""

import gc

from eventsite import create_app

app = create_app()

# What the app has loaded (modules, routes, templates, catalogs: some 400,000 objects) lives as
# long as the process: keep it out of every later garbage collection, and collect the young
# generation less often. A request makes many short-lived objects (a ranking of 720 contestants
# some hundred thousand); with the defaults about half of such a request's CPU went to the
# collector walking what the app had loaded (docs/performance.md).
gc.collect()
gc.freeze()
gc.set_threshold(50_000, 20, 100)
