"""The mock field assessment (模拟测评, docs/design.md §11, decision 0007).

- `points`: inspection points (点位): create, update, import from CSV or GeoJSON (all or nothing);
- `checklists`: a checklist per location type, versioned: an edit makes a new version;
- `score`: the simulated field score of a period, per point, location type, area and county, and the
  checklist points each department's tickets cost;
- `reference`: the location types and first checklists from app/seed_data.
"""
