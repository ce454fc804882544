"""What every view package shares: the request class, security headers, error pages, templating helpers."""
