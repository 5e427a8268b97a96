"""kernel.errors.redact: 128-bit ids in messages shortened to 8 digits, whatever is stuck
to them and however they are written; digests and plain numbers left alone."""

import pytest

from kernel.errors import redact

ID = "5CACEC1A2B3C4D5E6F708192A3B4C5D6"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (f"session:{ID}", "session:5CACEC1A…"),
        (f"session:x{ID}", "session:x5CACEC1A…"),
        (f"{ID}y", "5CACEC1A…y"),
        (ID.lower(), "5cacec1a…"),
        ("session:E4ADB160-1A1A-BBC2-F682-DB9FD68455BA", "session:E4ADB160…"),
        ("a" * 40, "a" * 40),  # a SHA-1 digest is not an id
        ("1" * 32, "1" * 32),  # nor is a long number
    ],
)
def test_ids_are_shortened_wherever_they_stand(text, shown):
    assert redact(text) == shown
