"""Original path ``speckle.schemas``: the geometry classes of :mod:`speckle.compat.schemas`.

``from speckle.schemas import Point, Mesh`` and ``from speckle.schemas.Point import Schema``
work as they did with the original client; :func:`speckle.compat.install` puts the names here
when :mod:`speckle` is imported. New code uses :mod:`speckle.models`.
"""
