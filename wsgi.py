"""The gunicorn entry point: `gunicorn wsgi:app`."""

import gc

from wishboard import create_app

app = create_app()

# Python's cycle collector, tuned for a server. What the app loaded lives as long as the worker:
# frozen, the collector no longer walks it. And it runs after 50,000 new objects rather than 700:
# building the whole premises GeoJSON of a city (5,000 features) spent a third of its time in
# collections (300 -> 215 ms in process, `make bench` measures it as the file's rebuild).
gc.freeze()
gc.set_threshold(50_000, 20, 20)
