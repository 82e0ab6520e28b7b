"""Counted nouns in messages: '1 frame', '2 frames'."""


def count(number, noun, plural=None):
    # type: (int, str, str) -> str
    return "{} {}".format(number, noun if number == 1 else (plural or noun + "s"))
