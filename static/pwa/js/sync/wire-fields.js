// Generated from app/schemas/sync.py by `make wire-fields`: do not edit (tests/api/test_wire_fields.py).
// The wire names of each synced item; the phone keeps them under their camelCase twins.
export const REPORT_FIELDS = ["client_id", "category_code", "description", "address", "lat", "lon", "accuracy_m", "location_source", "captured_at", "photos", "photo_exif", "capture_seq"];
export const ACTION_FIELDS = ["client_id", "ticket_id", "action", "version", "note", "photos"];
