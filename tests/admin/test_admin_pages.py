"""Administration: accounts, departments, categories, areas — each change audited; admins only."""
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEntry, Category, DeviceToken, Role, User
from tests.factories import EAST, area, category, department


def _token(client, url="/admin/") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).text).group(1)


@pytest.fixture
def admin_client(login, create_user):
    user = create_user("admin")
    return login(user), user


@pytest.mark.parametrize("path", ["/admin/", "/admin/users", "/admin/departments", "/admin/categories",
                                  "/admin/areas", "/admin/audit"])
def test_admin_pages_render_for_admins_only(login, create_user, admin_client, path):
    client, _ = admin_client
    resp = client.get(path)
    assert resp.status_code == 200
    assert "管理" in resp.text
    client.post("/logout", data={"csrf_token": _token(client)})
    login(create_user("supervisor"))
    assert client.get(path).status_code == 403


def test_admin_writes_are_refused_to_other_roles(login, create_user, county):
    client = login(create_user("supervisor"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/tickets").text).group(1)
    resp = client.post("/admin/users", data={"csrf_token": token, "username": "x", "password": "Str0ng-pass",
                                             "role": "admin"})
    assert resp.status_code == 403
    assert db.session.scalar(sa.select(User).where(User.username == "x")) is None


def test_create_account_is_audited(admin_client):
    client, admin = admin_client
    resp = client.post("/admin/users", data={"csrf_token": _token(client), "username": "zhang",
                                             "password": "Str0ng-pass", "role": "department", "department": "CGZF",
                                             "display_name": "张三"})
    assert resp.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.username == "zhang"))
    assert user.department.code == "CGZF" and user.role == Role.DEPARTMENT
    entry = db.session.scalars(sa.select(AuditEntry)).one()
    assert (entry.actor_id, entry.action, entry.target_id) == (admin.id, "user.create", str(user.id))
    assert "zhang" in client.get("/admin/audit").text


def test_bad_account_input_is_explained_not_stored(admin_client):
    client, _ = admin_client
    resp = client.post("/admin/users", data={"csrf_token": _token(client), "username": "li", "password": "123",
                                             "role": "inspector"}, follow_redirects=True)
    assert "密码至少需要" in resp.text
    assert db.session.scalar(sa.select(User).where(User.username == "li")) is None
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == 0


def test_disabling_an_account_revokes_its_devices(admin_client, create_user, api):
    client, _ = admin_client
    inspector = create_user("inspector")
    phone = api(inspector)
    assert phone.get("/api/v1/tickets").status_code == 200
    resp = client.post(f"/admin/users/{inspector.id}", data={
        "csrf_token": _token(client), "role": "inspector", "display_name": "x", "email": ""})
    assert resp.status_code == 302
    assert phone.get("/api/v1/tickets").status_code == 401
    assert db.session.scalar(sa.select(DeviceToken.revoked_at)) is not None
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "user.update")).one()
    assert entry.details["active"] == [True, False]


def test_admin_cannot_lock_themselves_out(admin_client):
    client, admin = admin_client
    resp = client.post(f"/admin/users/{admin.id}", data={"csrf_token": _token(client), "role": "admin",
                                                        "display_name": "me"}, follow_redirects=True)
    assert "不能把自己" in resp.text
    assert db.session.get(User, admin.id).active


def test_password_reset_checks_rules_and_revokes_tokens(admin_client, create_user, api):
    client, _ = admin_client
    user = create_user("inspector")
    phone = api(user)
    token = _token(client)
    weak = client.post(f"/admin/users/{user.id}/password", data={"csrf_token": token, "password": "abc"},
                       follow_redirects=True)
    assert "密码至少需要" in weak.text
    assert phone.get("/api/v1/tickets").status_code == 200
    client.post(f"/admin/users/{user.id}/password", data={"csrf_token": token, "password": "N3w-password"})
    assert phone.get("/api/v1/tickets").status_code == 401


def test_category_sla_and_routing_are_editable_data(admin_client, report):
    client, _ = admin_client
    cat = category("09009")
    resp = client.post(f"/admin/categories/{cat.id}", data={
        "csrf_token": _token(client), "sla_hours": "6", "department": "CGZF", "active": "on"})
    assert resp.status_code == 302
    ticket = report("09009", at=EAST).ticket
    assert ticket.department.code == "CGZF"
    assert (ticket.due_at - ticket.assigned_at).total_seconds() == 6 * 3600
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "category.update")).one()
    assert entry.details["sla_hours"] == [2, 6]


def test_category_sla_must_be_sane(admin_client):
    client, _ = admin_client
    cat = category("09009")
    client.post(f"/admin/categories/{cat.id}", data={"csrf_token": _token(client), "sla_hours": "0",
                                                      "active": "on"})
    client.post(f"/admin/categories/{cat.id}", data={"csrf_token": _token(client), "sla_hours": "abc",
                                                      "active": "on"})
    db.session.expire_all()
    assert db.session.get(Category, cat.id).sla_hours == 2


def test_area_department_change_reroutes_new_reports(admin_client, report):
    client, _ = admin_client
    client.post(f"/admin/areas/{area('DCJD').id}", data={"csrf_token": _token(client), "department": "HWZX"})
    assert report("X14001", at=EAST).ticket.department.code == "HWZX"


def test_departments_can_be_added_and_renamed(admin_client):
    client, _ = admin_client
    token = _token(client)
    client.post("/admin/departments", data={"csrf_token": token, "code": "xfb", "name_zh": "消防办",
                                            "active": "on"})
    assert department("XFB").name_zh == "消防办"
    client.post("/admin/departments", data={"csrf_token": token, "code": "XFB", "name_zh": "县消防办"})
    db.session.expire_all()
    assert department("XFB").name_zh == "县消防办" and department("XFB").active is False
    bad = client.post("/admin/departments", data={"csrf_token": token, "code": "no spaces", "name_zh": "x"},
                      follow_redirects=True)
    assert bad.status_code == 200 and department("NO SPACES") is None


def test_an_inspectors_area_is_set_on_the_account_page_and_audited(admin_client, create_user):
    client, _ = admin_client
    inspector = create_user("inspector")
    page = client.get(f"/admin/users/{inspector.id}").text
    assert 'name="area"' in page and "城关镇" in page
    resp = client.post(f"/admin/users/{inspector.id}", data={
        "csrf_token": _token(client), "role": "inspector", "display_name": "李明", "email": "", "active": "on",
        "area": "CGZ"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, inspector.id).area_id == area("CGZ").id
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "user.update")).one()
    assert entry.details["area_id"] == [None, area("CGZ").id]
    bad = client.post(f"/admin/users/{inspector.id}", data={
        "csrf_token": _token(client), "role": "inspector", "display_name": "李明", "active": "on", "area": "NOPE"})
    assert bad.status_code in (302, 422)
    db.session.expire_all()
    assert db.session.get(User, inspector.id).area_id == area("CGZ").id  # unchanged by the refusal
