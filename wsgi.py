"""Entry point for gunicorn and the flask CLI."""
import gc
import threading

from app import create_app
from config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    # A clear one-line reason and a non-zero exit, instead of a traceback in the deploy log.
    raise SystemExit(f"portcullis: {error}") from None

# What start-up built (the app, its libraries and their module state) lives as long as the process:
# left to the collector, each full collection walked all of it, a stall of about 150 ms that landed on
# whichever order was being placed at the time.
gc.collect()  # start-up's own garbage first: frozen, it could never be freed
gc.freeze()

if app.config["RUN_SCHEDULER_IN_WEB"]:
    # Development convenience only (production refuses the setting). Started by the first request,
    # so CLI commands such as `flask db upgrade`, which load this module too, never start it.
    _started = threading.Event()

    @app.before_request
    def _start_scheduler_once():
        if not _started.is_set():
            _started.set()
            from app.jobs.scheduler import start_in_background

            start_in_background(app)
