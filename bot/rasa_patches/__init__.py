"""Changes to Rasa Open Source 3.6's own behaviour, in one place: each module says what it
changes and why (with the upstream issue where there is one), and has an equivalence or
behaviour test under tests/bot/. `bot.server` applies them before Rasa starts; each is
idempotent. `lean_imports` runs first, before anything imports Rasa's core."""
