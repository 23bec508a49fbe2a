"""A real HTTP server for the test app on 127.0.0.1 and a random port, in a background thread.

It serves the same app object (and so the same test database) as the rest of the run, so a
test can look at the rows a browser or a raw socket client made.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager

from werkzeug.serving import make_server


@contextmanager
def live_server(app):
    """Yield the base URL of a threaded server running `app`; stop it afterwards."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
