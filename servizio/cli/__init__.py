"""The `registro` command: one module per sub-command group, the shared plumbing in
`comune`, the command itself in `principale`."""
