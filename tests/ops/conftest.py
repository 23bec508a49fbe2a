"""The sync tests' phone (an inspector with a device token), for the metrics and log tests."""
from tests.sync.conftest import inspector, phone  # noqa: F401 - fixtures
