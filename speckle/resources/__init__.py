"""The API resources of a client: ``client.accounts``, ``client.streams``, ..."""
