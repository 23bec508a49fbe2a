"""The command line: seed-demo, users create, tokens create."""
import sqlalchemy as sa

from app.extensions import db
from app.models import Area, Category, Department, Ticket, TicketStatus, User


def test_seed_demo_builds_a_county_with_users_and_tickets(runner, app, tmp_path):
    app.instance_path = str(tmp_path)
    result = runner.invoke(args=["seed-demo", "--tickets", "300"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(sa.func.count(Ticket.id))) == 300
    assert db.session.scalar(sa.select(sa.func.count(Area.id))) == 6
    assert db.session.scalar(sa.select(sa.func.count(Category.id))) >= 70
    assert db.session.scalar(sa.select(sa.func.count(Department.id))) >= 25
    roles = set(db.session.scalars(sa.select(User.role)))
    assert {r.value for r in roles} == {"inspector", "department", "supervisor", "admin"}
    statuses = {s.value for s in db.session.scalars(sa.select(Ticket.status).distinct())}
    assert statuses == {s.value for s in TicketStatus}
    for username in ("admin", "supervisor", "inspector", "cgzf"):
        assert username in result.output
    # Case numbers are unique and follow XC-YYYYMMDD-NNNN.
    numbers = list(db.session.scalars(sa.select(Ticket.case_number)))
    assert len(set(numbers)) == 300 and all(len(n) >= 16 and n.startswith("XC-") for n in numbers)


def test_seed_demo_is_idempotent_and_only_adds_tickets_when_asked(runner, app, tmp_path):
    app.instance_path = str(tmp_path)
    assert runner.invoke(args=["seed-demo", "--tickets", "20"]).exit_code == 0
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0, again.output
    assert db.session.scalar(sa.select(sa.func.count(Ticket.id))) == 20
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 8
    more = runner.invoke(args=["seed-demo", "--tickets", "10"])
    assert more.exit_code == 0
    numbers = list(db.session.scalars(sa.select(Ticket.case_number)))
    assert len(numbers) == len(set(numbers)) == 30


def test_seeded_demo_logins_work(runner, app, tmp_path, client):
    import re

    app.instance_path = str(tmp_path)
    output = runner.invoke(args=["seed-demo", "--tickets", "5"]).output
    password = re.search(r"^\s+supervisor\s+supervisor\s+(\S+)$", output, re.M).group(1)
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    resp = client.post("/login", data={"username": "supervisor", "password": password, "csrf_token": token})
    assert resp.status_code == 302


def test_users_create(runner, county):
    ok = runner.invoke(args=["users", "create", "--username", "wang", "--password", "Str0ng-pass",
                             "--role", "department", "--department", "CGZF"])
    assert ok.exit_code == 0, ok.output
    user = db.session.scalar(sa.select(User).where(User.username == "wang"))
    assert user.department.code == "CGZF"
    refused = runner.invoke(args=["users", "create", "--username", "li", "--password", "Str0ng-pass",
                                  "--role", "department"])
    assert refused.exit_code != 0 and "责任单位" in refused.output  # CLI speaks the default language
    weak = runner.invoke(args=["users", "create", "--username", "zhao", "--password", "123",
                               "--role", "inspector"])
    assert weak.exit_code != 0


def test_tokens_create_prints_a_working_token_last(runner, create_user, app):
    user = create_user("inspector")
    result = runner.invoke(args=["tokens", "create", "--username", user.username])
    assert result.exit_code == 0
    token = result.output.split()[-1]
    resp = app.test_client().get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200
    assert runner.invoke(args=["tokens", "create", "--username", "ghost"]).exit_code != 0


def test_users_disable_revokes_the_devices_so_reenabling_brings_none_back(runner, create_user, app):
    from app.services.accounts.users import issue_device_token

    user = create_user("inspector", username="leaver")
    token = issue_device_token(user, "phone")
    db.session.commit()
    result = runner.invoke(args=["users", "disable", "--username", "leaver"])
    assert result.exit_code == 0, result.output
    db.session.get(User, user.id).active = True  # an admin re-enables the account later
    db.session.commit()
    answer = app.test_client().get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401


def test_seeding_a_fresh_database_again_lists_only_the_passwords_that_work(runner, app, tmp_path):
    """Deleting the database and running `make run` again must not print yesterday's passwords too."""
    import re

    app.instance_path = str(tmp_path)
    (tmp_path / "demo-logins.txt").write_text("supervisor\tsupervisor\tStale-pass-1\nold\tinspector\tOld-pass-2\n")
    output = runner.invoke(args=["seed-demo", "--tickets", "1"]).output
    listed = re.findall(r"^\s+supervisor\s+supervisor\s+(\S+)$", output, re.M)
    assert len(listed) == 1 and listed[0] != "Stale-pass-1"
    assert "old" in output  # a name this seeding did not make is kept as it was
