"""The event programme: sessions imported from iCalendar, and which photos belong to which session."""
