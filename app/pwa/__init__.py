"""The inspector's offline-first web app (static/pwa/), served under /app/."""
