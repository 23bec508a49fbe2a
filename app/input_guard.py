"""Refuse, before any view runs, request text that no database can store (app.text.text_problem).

Query strings, form fields and URL path parts reach SQL in many places (filters, code lookups,
logins, admin forms). A NUL there fails on PostgreSQL deep inside a query, while SQLite would store
it silently. One check at the door answers 422 `validation_failed` naming the field instead, as
JSON on the API and as the error page on pages (app.errors), for every route, old or new. JSON
bodies are checked by app.params.json_body, which knows where each string sits in them.
"""
from __future__ import annotations

from flask import Flask, request

from app.params import unstorable_text
from app.text import text_problem

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def refuse_unstorable_text() -> None:
    sources = [(request.view_args or {}).items(), request.args.items(multi=True)]
    # Only a form body is read here: touching request.form reads any other body too, before a view
    # (photo upload) has set its own size limit on it.
    if request.mimetype in FORM_TYPES:
        sources.append(request.form.items(multi=True))
    for pairs in sources:
        for name, value in pairs:
            if text_problem(name) or (isinstance(value, str) and text_problem(value)):
                raise unstorable_text(name)


def register_input_guard(app: Flask) -> None:
    # After the session and CSRF hooks (registered before it), so the refusal page knows who is logged in.
    app.before_request(refuse_unstorable_text)
