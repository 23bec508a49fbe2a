"""A visit carries its phone's capture number like a report (issue 18): arrived when stored, still
waiting when refused."""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import CaptureNumber, Notification
from tests.assessment.visit_json import toilet, visit_json


def test_a_visits_number_arrives_and_a_refused_one_stays_waiting(api, create_user, bare_county, create_photo):
    inspector = create_user("inspector")
    client = api(inspector)
    point, version = toilet()
    photo = create_photo(uploaded_by=[inspector]).sha256
    good = {**visit_json(point.code, version.version, {"A1": ("fail", [photo], "男厕有异味"), "A2": "pass",
                                                       "A3": "pass"}), "capture_seq": 1}
    refused = {**visit_json("NO-SUCH-POINT", version.version, {"A1": "pass"}), "capture_seq": 2}
    answer = client.post("/api/v1/sync", json={"device_id": "phone-1", "visits": [good, refused],
                                               "waiting": [1, 2]}).get_json()
    assert [v["status"] for v in answer["visit_results"]] == ["created", "rejected"]
    client.post("/api/v1/sync", json={"device_id": "phone-1", "waiting": [2]})  # still on the phone
    assert list(db.session.scalars(sa.select(CaptureNumber.seq).where(CaptureNumber.arrived_at.is_not(None)))) \
        == [1]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                             .where(Notification.kind == "capture_lost")) == 0
    client.post("/api/v1/sync", json={"device_id": "phone-1", "waiting": []})  # the inspector dropped it
    [lost] = db.session.scalars(sa.select(Notification.data).where(Notification.kind == "capture_lost"))
    assert lost["numbers"] == [2] and lost["why"] == "gap"
