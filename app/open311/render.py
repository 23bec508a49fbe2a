"""GeoReport v2 bodies in JSON (the spec's "Spark convention") and XML, from the same dicts."""
from __future__ import annotations

import json
from xml.etree import ElementTree as ET

from flask import Response

from app.text import strip_unstorable

# The list element each root's children are called in XML.
ITEM_NAMES = {"services": "service", "service_requests": "request", "errors": "error", "attributes": "attribute",
              "values": "value", "endpoints": "endpoint", "formats": "format"}


def _append(parent: ET.Element, name: str, value) -> None:
    node = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, item in value.items():
            _append(node, key, item)
    elif isinstance(value, list):
        for item in value:
            _append(node, ITEM_NAMES.get(name, "item"), item)
    elif isinstance(value, bool):
        node.text = "true" if value else "false"
    elif value is not None:
        node.text = strip_unstorable(str(value))  # XML 1.0 has no way to carry C0 controls: drop them


def respond(root: str, body, fmt: str, status: int = 200) -> Response:
    """A list root (`services`, `service_requests`, `errors`) or an object root, in `fmt`."""
    if fmt == "xml":
        element = ET.Element(root)
        items = body if isinstance(body, list) else None
        if items is None:
            for key, value in body.items():
                _append(element, key, value)
        else:
            for item in items:
                _append(element, ITEM_NAMES[root], item)
        xml = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8")
        return Response(xml, status=status, content_type="text/xml; charset=utf-8")
    return Response(json.dumps(body, ensure_ascii=False), status=status,
                    content_type="application/json; charset=utf-8")
