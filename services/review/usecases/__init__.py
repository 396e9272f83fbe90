"""review's use cases in their own modules: functions ``(db, actor, data...)`` the service's
thin entrypoints call."""
