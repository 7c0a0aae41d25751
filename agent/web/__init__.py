"""Read-only web pages of the daemon: the dashboard and Prometheus metrics."""
