import sys


def add(a, b):
    total = a + b
    return total


x = 1
y = add(x, 2)
print(f"y is {y}")
sys.stderr.write("done on stderr\n")
