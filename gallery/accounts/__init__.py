"""Users, passwords, API tokens and login sessions."""
