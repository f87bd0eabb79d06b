"""public_site: the static public website built from the registers."""
