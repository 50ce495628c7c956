"""Credit-bureau integrations: connectors, normalised reports, simulators, resilient parallel pulls."""
