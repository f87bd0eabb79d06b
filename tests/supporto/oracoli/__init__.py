"""Plain-Python oracles: loops and dictionaries, none of the package's code, written from
the definitions; Hypothesis and the hand-built tests compare the real paths with them."""
