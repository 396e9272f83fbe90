"""The only HTTP door: zh-CN pages, the JSON API, sessions, CSRF, error mapping, metrics."""
