"""The OAI-PMH 2.0 provider at /oai/: records kept in step with the articles, and the protocol over them."""
