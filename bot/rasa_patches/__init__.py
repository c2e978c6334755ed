"""Changes to Rasa Open Source 3.6's own behaviour, each in its own module with the reason, the
upstream issue where there is one, and an equivalence test in tests/bot/test_rasa_patches.py.
`bot.server` applies them before Rasa starts; each `apply()` is idempotent."""
