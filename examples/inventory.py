"""A small program to debug: the demo session stops inside ``restock``."""

import sys


def restock(stock: dict[str, int], minimum: int) -> list[str]:
    """Top up every item below ``minimum`` and return the names topped up."""
    ordered = []
    for name, count in sorted(stock.items()):
        if count < minimum:
            ordered.append(name)
            stock[name] = minimum
    return ordered


if __name__ == "__main__":
    minimum = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    stock = {"apples": 3, "pears": 12, "plums": 0}
    print("restocked:", restock(stock, minimum))
    print("stock now:", stock)
