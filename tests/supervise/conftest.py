"""Fixtures of the supervision tests."""
import pytest

from tests.supervise import bulletin_case


@pytest.fixture
def bulletin_tickets(county):
    """The 通报's hand-built case (tests/supervise/bulletin_case.py)."""
    bulletin_case.build()
