"""The review for editors: what people asked, what the bot could not answer, and the answers
rated not helpful, read from the conversation store, with personal data masked (`make review`)."""
