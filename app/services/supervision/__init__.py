"""What the campaign office sees: map cells and clusters, GCJ-02, KPIs and rollups, ranking, exports, slips."""
