"""Talking to the platform's services (AGS and NRPS): access tokens now, the grade outbox next."""
