"""A real HTTP server for the test app on 127.0.0.1 and a random port, in a background thread.

It serves the same app object (and so the same test database) as the rest of the run, so a
test can look at the rows a browser or a raw socket client made.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager

from werkzeug.serving import make_server


def _closing_body(app):
    """`app`, with every response body closed by the time it has been sent.

    Werkzeug's development server closes the body only after draining the socket, and that
    draining raises when the browser has already hung up (a page closed at a test's end), so a
    static file's handle was left to the garbage collector: a ResourceWarning, an error under
    `filterwarnings = error`, in whichever test ran next. A generator's `finally` runs when it is
    exhausted or collected, so the file is closed either way.
    """
    def wsgi(environ, start_response):
        body = app(environ, start_response)
        try:
            yield from body
        finally:
            if hasattr(body, "close"):
                body.close()
    return wsgi


@contextmanager
def live_server(app):
    """Yield the base URL of a threaded server running `app`; stop it afterwards."""
    server = make_server("127.0.0.1", 0, _closing_body(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
