"""The bot's own Rasa input channels, and the credentials file that turns them on."""
