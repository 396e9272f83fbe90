"""identity's use cases in their own modules: functions ``(service, ...)`` the service's thin
entrypoints call."""
