"""Building blocks of the client: :class:`~speckle.base.client.ClientBase` and the resource mixins."""
