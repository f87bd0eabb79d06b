"""reports: what is computed from the registers (tables, lists, periodic reports)."""
