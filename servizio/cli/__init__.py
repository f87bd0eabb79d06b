"""The `registro` command: one module per sub-command group, the shared plumbing in
`comune`, the command itself in `principale`."""

import gc

# The cyclic collector runs every 700 new objects by default: a command's start-up creates a
# few hundred thousand (the modules and classes of typer, pydantic, SQLAlchemy, polars), none
# of them garbage, and `registro check` after a nightly delta spent ≈ 0.1 s of its ≈ 2.5 s of
# CPU collecting them (perf; docs/scala.md, "1 dicembre 2026"). A wider first generation
# still collects, only less often; `principale.main()` then freezes what start-up built.
# Set here, in the package, because it must come before the first of those imports.
gc.set_threshold(100_000, 50, 100)
