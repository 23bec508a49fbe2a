"""bench/ingest.py's --clients: a list of load sizes, or none for the one-phone part alone."""
from __future__ import annotations

import argparse

import pytest

from bench.ingest import client_counts


def test_client_counts_are_read_from_a_comma_separated_list():
    assert client_counts("4,8") == [4, 8]
    assert client_counts(" 4 , 8 ,") == [4, 8]


def test_no_client_counts_means_no_load_runs():
    assert client_counts("") == []


@pytest.mark.parametrize("text", ["4,x", "four", "4,0", "-2"])
def test_a_bad_list_is_a_usage_error(text):
    with pytest.raises(argparse.ArgumentTypeError):
        client_counts(text)
