"""Start/stop of the platform and its servers (see deploy.servers, deploy.platform)."""
