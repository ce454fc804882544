"""Errors, the permission table and the audit actor: the bottom layer every other package may use."""
