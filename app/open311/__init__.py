"""Open311 GeoReport v2 at /open311/v2/, an adapter over the services, so 311 clients work."""
