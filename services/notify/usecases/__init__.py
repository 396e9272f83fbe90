"""notify's use cases in their own modules, called by the service's thin entrypoints."""
