"""Event reports: one Markdown renderer, feeds and the sitemap."""
