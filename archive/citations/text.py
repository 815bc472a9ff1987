"""Values as one line: what a RIS line and a LaTeX argument can hold, and what a byline is read from."""

# Every control character, line breaks and tabs among them; str.split() alone leaves some (ESC, NUL) in place.
CONTROL = dict.fromkeys([*range(0x20), *range(0x7F, 0xA0)], " ")


def one_line(text: str) -> str:
    """Control characters as spaces and each run of whitespace as one space, without spaces at the ends."""
    return " ".join(text.translate(CONTROL).split())
