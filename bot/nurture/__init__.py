"""Nurture: tracks, consent-based enrolment, scheduling at a respectful pace, delivery, requalification."""
