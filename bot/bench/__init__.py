"""`make bench`: the shipped configuration against Rasa's `rasa init` default, measured in one run."""
