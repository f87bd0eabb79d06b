"""cup: everything that arrives from the Centro Unico di Prenotazione."""
