"""Background tasks on a real queue: Huey (docs/decisions/0014-task-queue.md).

- `queue`: the app's queue (embedded SQLite file by default, Redis for production), how a task is
  enqueued after the commit that needs it, and `drain` (run what is due, here and now);
- `in_web`: with no worker process running, the web process runs the tasks itself, after its answer;
- `photos`: the derivatives of an upload (web image, thumbnail, perceptual hash);
- `cli`: `flask --app wsgi worker`, a worker in the foreground.
"""
