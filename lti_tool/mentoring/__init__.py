"""Mentoring domain: programs, profiles, matching, threads, goals, meetings and evaluations."""
