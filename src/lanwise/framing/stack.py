"""A stack of framing layers: messages go down through each, bytes come up."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from lanwise.framing.layers import Layer

__all__ = ["Stack"]

T = TypeVar("T")


class Stack(Generic[T]):
    """Layers from top to bottom: ``Stack(TypeLengthValue(), Sealed(...), LengthPrefixed())``.

    ``encode`` runs a message down through every layer; ``feed`` runs stream
    bytes up, the bottom layer splitting the stream into frames and each layer
    above taking whole frames (and checking none is left half-read). Any
    layer's :class:`~lanwise.framing.FramingError` propagates: the caller
    closes that connection.
    """

    def __init__(self, top: Layer[T], *below: Layer[bytes]) -> None:
        self.top = top
        self.below = below

    def encode(self, message: T) -> bytes:
        """The stream bytes for one message."""
        data = self.top.encode(message)
        for layer in self.below:
            data = layer.encode(data)
        return data

    def feed(self, data: bytes) -> list[T]:
        """Every message completed by ``data`` (any split of the stream gives the same)."""
        layers: list[Layer[Any]] = [self.top, *self.below]
        items: list[Any] = [data]
        for depth in range(len(layers) - 1, -1, -1):
            layer = layers[depth]
            out: list[Any] = []
            for item in items:
                out.extend(layer.feed(item))
                if depth != len(layers) - 1:
                    layer.end()  # above the bottom, a frame must hold whole messages
            items = out
        return items

    def end(self) -> None:
        """The stream ended: raise :class:`~lanwise.framing.FramingError` if it was cut short."""
        self.top.end()
        for layer in self.below:
            layer.end()
