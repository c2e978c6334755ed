-- Run once by the postgres image, when it creates an empty data directory. The knowledge base
-- lives in POSTGRES_DB (probation); Rasa's conversations get a database of their own, so either
-- can be backed up, restored or wiped without touching the other.
CREATE DATABASE rasa_trackers;
