"""Fuzz every API operation from its OpenAPI document (schemathesis): no input gives a 500.

Valid and invalid inputs alike are generated from the schema; the check is that the server always
answers with a clean status (< 500) and, for 4xx, the JSON error shape.
"""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from app.extensions import db
from app.services.accounts.users import issue_device_token

EXAMPLES_PER_OPERATION = 20
# Revoking the fuzzer's own token would turn the rest of the run into 401s.
SKIP = {("DELETE", "/device-tokens/current")}


@pytest.fixture
def fuzz_schema(app, county):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.mark.parametrize("role", ["supervisor", "inspector", "department"])
def test_no_input_makes_the_server_fail(fuzz_schema, create_user, ticket_in, role):
    ticket_in("resolved")
    ticket_in("returned")
    user = create_user(role, "JJDD" if role == "department" else None)
    token = issue_device_token(user, "fuzz")
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    tried, failures = 0, []
    for result in fuzz_schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIP:
            continue

        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case):
            nonlocal tried
            tried += 1
            response = case.call(headers=headers)
            if response.status_code >= 500:
                failures.append((case.method, case.formatted_path, response.status_code, response.text[:300]))
            elif response.status_code >= 400 and response.headers.get("Content-Type", "").startswith(
                    "application/json"):
                error = response.json().get("error", {})
                if not {"code", "message", "field"} <= set(error):
                    failures.append((case.method, case.formatted_path, response.status_code, "bad error shape"))

        check()
        db.session.rollback()
    print(f"fuzzing as {role}: {tried} requests")
    assert tried > 200
    assert failures == []
