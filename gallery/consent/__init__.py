"""Consent and takedown: requests from people in photos, editors' decisions, hiding, erasing with
tombstones, and the notices that go with them (issue 10)."""
