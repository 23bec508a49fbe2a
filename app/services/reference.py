"""Reference data as the API and the phones' change feed both show it."""
from __future__ import annotations

from app.models import Category


def category_out(category: Category, departments: dict[int, str]) -> dict:
    return {
        "code": category.code,
        "name_zh": category.name_zh,
        "name_en": category.name_en,
        "group": category.group_code,
        "group_zh": category.group_zh,
        "group_en": category.group_en,
        "department_code": departments.get(category.default_department_id),
        "sla_hours": category.sla_hours,
        "severity": category.severity,
        "area_scoped": category.area_scoped,
    }
