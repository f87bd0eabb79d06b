"""registro: i registri delle prestazioni specialistiche e dei ricoveri programmati."""

__version__ = "0.1.0"
