"""Booking: free slots, routing to a rep, matching free text to slots (pure functions)."""
