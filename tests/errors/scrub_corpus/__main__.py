"""Print the scrubber's figures: ``python -m tests.errors.scrub_corpus [-v] [FILE]``.

``FILE`` is another ``scrub.py`` to measure (a copy from an older commit, self-contained);
``-v`` lists every leak and false positive.
"""

from __future__ import annotations

import importlib.util
import sys

from signalpost.errors.scrub import Scrubber
from tests.errors.scrub_corpus import measure


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    files = [a for a in argv if a != "-v"]
    scrubber = Scrubber()
    if files:
        spec = importlib.util.spec_from_file_location("measured_scrub", files[0])
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        scrubber = module.Scrubber()
    figures = measure(scrubber.scrub_string)
    print(figures.summary())
    if verbose:
        for leak in figures.leaked:
            print(f"LEAK {leak.name}: {scrubber.scrub_string(leak.text)!r}")
        for text, out in figures.altered:
            print(f"ALTERED {text!r}\n     -> {out!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
