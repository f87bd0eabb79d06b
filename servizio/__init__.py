"""The services floor: the CLI, the API, the scheduler and the demo. They compose the
floors below (registro, cup, reports, public_site) and nothing imports them."""
