"""Custom actions for the Rasa action server. They only translate: slots and entities in, a
question to `knowledge`, one structured answer out. No facts and no SQL live here."""
